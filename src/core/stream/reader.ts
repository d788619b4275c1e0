/**
 * Reading a stream after its first token: every event is passed on as it arrives, under an idle limit (the longest
 * silence between events, capped by the deadline), and the stream counts as whole only if it ends with
 * `messageStop`. A cut, a stall or a mid-stream error is an `Interruption`, which the engine turns into a restart,
 * a continuation or a `StreamInterruptedError`: never a truncated answer delivered as complete.
 */
import type { Clock } from '../clock.js'
import { ContextWindowExceededError } from '../errors.js'
import { stopFailure } from '../stop-reason.js'
import type { TimerHandle } from '../watchdog.js'
import type { InterruptionKind } from './errors.js'
import type { StreamEventLike, StreamTally } from './events.js'

/** A stream whose first content event has arrived: the events read so far, the rest, and how to stop it. */
export interface StartedStream<E> {
  /** Events read up to and including the first content event. */
  readonly buffered: readonly E[]
  readonly iterator: AsyncIterator<E>
  /** Aborts the underlying request (idle limit, the caller's signal, a consumer that stopped reading). */
  abort(reason: unknown): void
}

/** Why a started stream did not end whole; `cause` is the upstream error, when there was one. */
export class Interruption extends Error {
  override readonly name = 'Interruption'

  constructor(readonly kind: InterruptionKind, options: { readonly cause?: unknown } = {}) {
    super(`stream interrupted: ${kind}`, { cause: options.cause })
  }
}

export interface ReadLimits {
  readonly clock: Clock
  /** The longest silence between two events, ms. */
  readonly idleTimeoutMs: number
  /** Time left before the deadline's reserve, ms: a silence is never waited out past it. */
  readonly remainingMs: () => number
  /** The caller's signal: its abort ends the stream with the caller's reason, not as an interruption. */
  readonly signal?: AbortSignal | undefined
}

const STALLED = Object.freeze(new Error('the stream went silent past idleTimeoutMs'))

/** Yields every event (the buffered ones first), tallying them; throws an Interruption unless it ends whole. */
export async function* readStream<E extends StreamEventLike>(
  stream: StartedStream<E>, tally: StreamTally, limits: ReadLimits,
): AsyncGenerator<E, void, undefined> {
  const idle = new IdleTimer(stream, limits)
  const onAbort = (): void => stream.abort(limits.signal?.reason)
  limits.signal?.addEventListener('abort', onAbort, { once: true })
  let whole = false
  try {
    for (const event of stream.buffered) {
      tally.see(event)
      yield event
    }
    for (;;) {
      idle.arm()
      let step: IteratorResult<E>
      try {
        step = await stream.iterator.next()
      } catch (error) {
        if (limits.signal?.aborted) throw limits.signal.reason
        throw new Interruption(idle.fired ? 'stall' : 'error', { cause: error })
      } finally {
        idle.disarm()
      }
      if (step.done === true) break
      tally.see(step.value)
      yield step.value
    }
    // The SDK ends its iterator without an error when the request is aborted mid-stream: say why it ended.
    if (!tally.stopped) {
      if (limits.signal?.aborted) throw limits.signal.reason
      throw new Interruption(idle.fired ? 'stall' : 'cut')
    }
    // A whole message can still be no answer: cut at the context window, or malformed, says its stop reason.
    const failure = stopFailure(tally.stopReason, false)
    if (failure !== undefined) {
      throw new Interruption(failure instanceof ContextWindowExceededError ? 'context-overflow' : 'malformed-output', { cause: failure })
    }
    whole = true
  } finally {
    limits.signal?.removeEventListener('abort', onAbort)
    // A consumer that stopped reading early (break, return) must not leave the request running.
    if (!whole) stream.abort(new Error('the stream was not read to its end'))
  }
}

/** The idle limit: one timer per wait, on the clock's shared timer where it has one. */
class IdleTimer {
  fired = false
  #timer: TimerHandle | undefined
  #sleep: AbortController | undefined

  constructor(private readonly stream: StartedStream<unknown>, private readonly limits: ReadLimits) {}

  arm(): void {
    const ms = Math.max(0, Math.min(this.limits.idleTimeoutMs, this.limits.remainingMs()))
    const { clock } = this.limits
    if (clock.timer !== undefined) {
      this.#timer = clock.timer(ms, fire, this)
      return
    }
    const sleep = (this.#sleep = new AbortController())
    clock.sleep(ms, sleep.signal).then(() => fire(this), () => undefined)
  }

  disarm(): void {
    this.#timer?.cancel()
    this.#timer = undefined
    this.#sleep?.abort()
    this.#sleep = undefined
  }

  stall(): void {
    this.fired = true
    this.stream.abort(STALLED)
  }
}

const fire = (timer: IdleTimer): void => timer.stall()
