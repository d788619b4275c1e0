/**
 * Lambda-deadline arithmetic and the per-attempt abort signal. Lambda tells us once how long is left
 * (`context.getRemainingTimeInMillis()`); from then on every read goes through the injected clock, so a fake clock
 * drives the same code the real one does.
 */
import type { Clock } from '../clock.js'
import type { TimerHandle } from '../watchdog.js'
import { AttemptTimeoutError } from '../errors.js'

/** The time one invocation has left, minus the reserve kept back to write a degraded reply. */
export class Deadline {
  /** Epoch ms at which Lambda stops the invocation. `Infinity` when there is no deadline (local runs). */
  readonly deadlineAt: number
  readonly reserveMs: number
  /** `clock.now()` when the deadline was made. */
  readonly startedAt: number
  readonly #clock: Clock

  /**
   * @param remainingAtStartMs what `context.getRemainingTimeInMillis()` returned, read as close to `clock.now()` as
   *   possible. `Infinity` is allowed and means "no deadline".
   * @param reserveMs time kept back from the deadline (see `BackoffPolicy.reserveMs`).
   * @throws RangeError on NaN or a negative reserve: those are wiring bugs, and guessing would hide them.
   */
  constructor(clock: Clock, remainingAtStartMs: number, reserveMs: number) {
    if (Number.isNaN(remainingAtStartMs)) throw new RangeError('Deadline: remainingAtStartMs is NaN')
    if (!Number.isFinite(reserveMs) || reserveMs < 0) throw new RangeError(`Deadline: reserveMs must be >= 0 (got ${reserveMs})`)
    this.#clock = clock
    this.startedAt = clock.now()
    this.deadlineAt = this.startedAt + remainingAtStartMs
    this.reserveMs = reserveMs
  }

  /**
   * Time left before the reserve begins, ms. Not clamped: a negative value says how far into the reserve we already
   * are, which is worth logging; every decision below treats it as "no time".
   */
  remainingMs(now = this.#clock.now()): number {
    return this.deadlineAt - this.reserveMs - now
  }

  /**
   * Whether waiting `waitMs` and then running an attempt of at least `minAttemptMs` ends before the reserve.
   * Never true once no time is left, nor for an `Infinity` or NaN wait (Retry-After beyond the cap).
   */
  canAfford(waitMs: number, minAttemptMs: number, now = this.#clock.now()): boolean {
    const remaining = this.remainingMs(now)
    const needed = Math.max(0, waitMs) + Math.max(0, minAttemptMs)
    // The finiteness test matters without a deadline, where `Infinity <= Infinity` would afford an endless wait.
    return remaining > 0 && Number.isFinite(needed) && needed <= remaining
  }

  /** The timeout for an attempt starting now: `capMs`, or less when the reserve comes first. Never negative. */
  attemptTimeoutMs(capMs: number): number {
    return Math.max(0, Math.min(capMs, this.remainingMs()))
  }
}

/**
 * The reason every dispose() cancels a fake clock's timer with. Built once: `abort()` without a reason makes a new
 * DOMException, stack trace included, on every attempt, which showed up as GC time in the overhead bench.
 */
const DISPOSED = Object.freeze(new Error('attempt finished'))

/** The `.then` rejection handler of a cancelled timer: cancelled by dispose() or by a parent, nothing left to do. */
const ignore = (): void => {}

/** An abort signal for one attempt, and the means to stop its timer once the attempt is over. */
export interface AttemptSignal {
  readonly signal: AbortSignal
  /** Cancels the timer and lets go of the parents. Call it in `finally`; calling it twice is harmless. */
  dispose(): void
}

/**
 * A signal that aborts with `AttemptTimeoutError(timeoutMs)` when `timeoutMs` elapses on `clock`, or with a parent's
 * own reason as soon as any parent aborts (an already aborted parent aborts it at once).
 *
 * Built by hand rather than with `AbortSignal.any`: `dispose()` must detach from the parents straight away, since a
 * parent may live as long as the container and would otherwise collect one listener per attempt until GC, and the
 * timer must be cancellable and driven by the injected clock so fake clocks drive it and Jest sees no open handle.
 * A `timeoutMs` of 0 or less aborts at once; `Infinity` sets no timer.
 *
 * This runs once per attempt, so it allocates little: the controller and this object, which is itself the parents'
 * event listener (`handleEvent`), and on the system clock an entry of the shared watchdog timer, not a sleep promise.
 */
export function withAttemptSignal(
  clock: Clock, timeoutMs: number, parents: readonly (AbortSignal | undefined)[], now?: number,
): AttemptSignal {
  return new AttemptSignalImpl(clock, timeoutMs, parents, now)
}

class AttemptSignalImpl implements AttemptSignal {
  readonly #controller = new AbortController()
  readonly signal: AbortSignal
  readonly #timeoutMs: number
  /** The parents listened to, kept apart from the caller's array (it may be reused). Nearly always one. */
  #first: AbortSignal | undefined
  #more: AbortSignal[] | undefined
  #timeout: TimerHandle | undefined
  #sleep: AbortController | undefined
  #disposed = false

  constructor(clock: Clock, timeoutMs: number, parents: readonly (AbortSignal | undefined)[], now: number | undefined) {
    this.signal = this.#controller.signal
    this.#timeoutMs = timeoutMs
    // An aborted parent decides at once, before anything is attached that would need letting go.
    for (const parent of parents) {
      if (parent?.aborted) {
        this.#controller.abort(parent.reason)
        this.#disposed = true
        return
      }
    }
    if (!(timeoutMs > 0)) {
      this.#controller.abort(new AttemptTimeoutError(0))
      this.#disposed = true
      return
    }
    for (const parent of parents) {
      if (parent === undefined || parent === this.#first) continue
      if (this.#first === undefined) this.#first = parent
      else (this.#more ??= []).push(parent)
      // Adding the same listener to a signal twice is a no-op, so a parent given twice is listened to once.
      parent.addEventListener('abort', this)
    }
    if (!Number.isFinite(timeoutMs)) return
    if (clock.timer === undefined) {
      this.#sleep = new AbortController()
      // A sleep that settled just as the attempt ended must not abort a signal already handed back.
      clock.sleep(timeoutMs, this.#sleep.signal).then(() => this.#timedOut(), ignore)
    } else this.#timeout = clock.timer(timeoutMs, fire, this, now)
  }

  /** A parent aborted: its reason is ours. */
  handleEvent(event: Event): void {
    this.#abort((event.target as AbortSignal).reason)
  }

  #timedOut(): void {
    if (!this.#disposed) this.#abort(new AttemptTimeoutError(this.#timeoutMs))
  }

  #abort(reason: unknown): void {
    if (!this.signal.aborted) this.#controller.abort(reason)
    this.dispose()
  }

  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    if (this.#first !== undefined) {
      this.#first.removeEventListener('abort', this)
      if (this.#more) for (const parent of this.#more) parent.removeEventListener('abort', this)
    }
    this.#timeout?.cancel()
    this.#sleep?.abort(DISPOSED)
  }

  static fire(self: AttemptSignalImpl): void {
    self.#timedOut()
  }
}

const fire = (self: AttemptSignalImpl): void => AttemptSignalImpl.fire(self)
