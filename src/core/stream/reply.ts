/**
 * A streamed reply: async-iterable over the stream's events from its first token on, across interruptions. What an
 * interruption leads to is the caller's choice (`interrupted`):
 * - `restart`: the next target answers from the start; a `breakwaterRestart` event tells the consumer to discard
 *   what it has shown, before the new answer's first event.
 * - `continue`: the next target is asked to go on from the partial answer (an assistant prefill); a target that
 *   rejects the prefill is asked again from the start, as for `restart`.
 * - `fail`: a `StreamInterruptedError` carrying the partial text and where it was served.
 * No target left to try is a `StreamInterruptedError` too. Never a truncated answer delivered as complete.
 */
import { reportUsage } from '../admission/late-usage.js'
import { quotaSpent } from '../admission/quota-cost.js'
import type { Clock } from '../clock.js'
import { CallerFaultError, ContextOverflowError } from '../errors.js'
import type { CascadeResult, Degradation, Intervention, Served } from '../invoker/types.js'
import { isDowngrade, tierServed, type TierServed } from '../invoker/tiers.js'
import { interventionOf } from '../stop-reason.js'
import type { Target } from '../target.js'
import { StreamInterruptedError, type InterruptionKind } from './errors.js'
import { StreamTally, type StreamEventLike } from './events.js'
import { Interruption, readStream, type StartedStream } from './reader.js'

export type InterruptionPolicy = 'restart' | 'continue' | 'fail'

/** Sent before a restarted answer: everything shown so far is void. */
export interface StreamRestartEvent {
  readonly breakwaterRestart: { readonly reason: InterruptionKind; readonly discardedText: number }
}

/** Where and how the streamed answer was served, with its time to first token. */
export type StreamServed = Served & { readonly timeToFirstTokenMs: number }

/** What the stream said once it ended whole. */
export interface StreamFinal {
  readonly text: string
  readonly stopReason: string | undefined
  readonly usage: { readonly outputTokens?: number | undefined } | undefined
  readonly served: StreamServed
}

export interface StreamReplyDeps<I, E> {
  /** Runs the cascade to a first token, skipping the targets named (their keys). */
  readonly start: (input: I, skip: ReadonlySet<string>) => Promise<CascadeResult<StartedStream<E>>>
  /** The input asking the model to go on from `partial` (an assistant prefill). */
  readonly prefill: (input: I, partial: string) => I
  /** Hears each interruption, for the breaker and metrics. */
  readonly interrupted: (target: Target, kind: InterruptionKind, cause: unknown) => void
  /** Hears a whole stream whose stop reason says a guardrail or the content filter replaced the answer. */
  readonly intervened: (target: Target, intervention: Intervention) => void
  /** Hears a whole stream that its `metadata` event says was served below the target's tier or latency mode. */
  readonly downgraded: (target: Target, served: TierServed) => void
  /** A shorter history (the fallback's), for a stream that stopped at the context window; absent = none. */
  readonly truncate?: ((input: I) => I | undefined) | undefined
  /** The summarizer (`fallback({ summarize })`): `after` with a note condensing what it dropped of `before`, if it can. */
  readonly summarize?: ((before: I, after: I) => Promise<I | undefined>) | undefined
  /** How many times one reply may shorten its history (`fallback.maxTruncations`). */
  readonly maxTruncations: number
  readonly policy: InterruptionPolicy
  readonly clock: Clock
  readonly idleTimeoutMs: number
  readonly remainingMs: () => number
  readonly signal?: AbortSignal | undefined
  /** The key the breaker and health keep a target under. */
  readonly keyOf: (target: Target) => string
}

/** No target skipped: a shortened request starts the cascade from its top. */
const NONE: ReadonlySet<string> = new Set()
const FULL_WINDOW = 'the conversation fills the model\'s context window, even after shortening the history'

export class StreamReply<I, E extends StreamEventLike> implements AsyncIterable<E | StreamRestartEvent> {
  #result: CascadeResult<StartedStream<E>>
  #served: StreamServed
  #tally = new StreamTally()
  #read = false
  #truncations = 0
  readonly #tried = new Set<string>()
  /** The request as asked, or as shortened after the context window filled. */
  #input: I

  private constructor(private readonly deps: StreamReplyDeps<I, E>, input: I, result: CascadeResult<StartedStream<E>>) {
    this.#input = input
    this.#result = result
    this.#served = servedOf(result)
    this.#remember(result)
  }

  /** Walks the cascade to a first token: every failure before it is handled like a `converse` failure. */
  static async open<I, E extends StreamEventLike>(deps: StreamReplyDeps<I, E>, input: I): Promise<StreamReply<I, E>> {
    return new StreamReply(deps, input, await deps.start(input, new Set()))
  }

  /** Where the answer being streamed comes from (changes after a restart or continuation). */
  get served(): StreamServed {
    return this.#served
  }

  /** The text streamed so far (reset by a restart). */
  get text(): string {
    return this.#tally.text
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<E | StreamRestartEvent, void, undefined> {
    if (this.#read) throw new Error('a streamed reply can be read once')
    this.#read = true
    const { deps } = this
    for (;;) {
      const limits = { clock: deps.clock, idleTimeoutMs: deps.idleTimeoutMs, remainingMs: deps.remainingMs, signal: deps.signal }
      try {
        yield* readStream(this.#result.output, this.#tally, limits)
        // Whole: the tokens its quota ticket held beyond what it used go back (admission/late-usage.ts).
        reportUsage(this.#result.output as object, quotaSpent(this.#tally.metadata))
        this.#flagTier()
        this.#flagIntervention()
        return
      } catch (error) {
        if (!(error instanceof Interruption)) throw error
        const restart = await this.#recover(error)
        if (restart !== undefined) yield restart
      }
    }
  }

  /** Once iterated to its end: the whole answer. */
  final(): StreamFinal {
    if (!this.#tally.stopped) throw new Error('the stream has not ended yet: iterate it first')
    return { text: this.#tally.text, stopReason: this.#tally.stopReason, usage: this.#tally.usage, served: this.#served }
  }

  /** A whole stream a guardrail or the content filter stopped: its `served` says so (the breaker heard its first token). */
  #flagIntervention(): void {
    const intervened = interventionOf(this.#tally.stopReason)
    if (intervened === undefined) return
    this.#served = { ...this.#served, intervened }
    this.deps.intervened({ model: this.#served.model, region: this.#served.region }, intervened)
  }

  /**
   * A whole stream's tier, known only from its last event (`metadata`), as Converse's is from its reply: told in
   * `served`, and a silent downgrade is a `downgraded-tier` degradation (the least telling one, so `degraded` keeps
   * any other it has) and heard by `downgraded` (the `ServiceTierDowngrades` metric).
   */
  #flagTier(): void {
    const target = (this.#result.attempts.at(-1) as { readonly target: Target } | undefined)?.target
    const tier = target === undefined ? undefined : tierServed(target, this.#tally.metadata)
    if (target === undefined || tier === undefined) return
    const served: { -readonly [K in keyof StreamServed]: StreamServed[K] } = { ...this.#served, ...tier }
    if (isDowngrade(target, tier) && !served.degradations.includes('downgraded-tier')) {
      served.degraded = served.degraded || 'downgraded-tier'
      served.degradations = [...served.degradations, 'downgraded-tier']
      this.deps.downgraded(target, tier)
    }
    this.#served = served
  }

  /** After an interruption: the next stream (and the restart event to send first, if any), or the typed error. */
  async #recover(interruption: Interruption): Promise<StreamRestartEvent | undefined> {
    const { deps } = this
    // The target that served is the walk's last attempt: the whole target, so its tier's breaker hears it.
    const target = (this.#result.attempts.at(-1) as { readonly target: Target }).target
    deps.interrupted(target, interruption.kind, interruption.cause)
    const fail = (): StreamInterruptedError =>
      new StreamInterruptedError(interruption.kind, this.#tally.text, this.#served, { cause: interruption.cause })
    if (deps.policy === 'fail') throw fail()
    // The context window is full: going on from the partial answer cannot fit, elsewhere neither (same window).
    if (interruption.kind === 'context-overflow') return this.#shortened(interruption)
    if (deps.policy === 'continue' && this.#tally.text !== '') {
      try {
        this.#adopt(await deps.start(deps.prefill(this.#input, this.#tally.text), this.#tried), false)
        return undefined
      } catch (error) {
        // A target that refuses prefills must not hide the interruption: ask from the start instead.
        if (!(error instanceof CallerFaultError) || error.statusCode !== 400) throw this.#exhausted(error, fail)
      }
    }
    let next: CascadeResult<StartedStream<E>>
    try {
      next = await deps.start(this.#input, this.#tried)
    } catch (error) {
      throw this.#exhausted(error, fail)
    }
    const event: StreamRestartEvent = { breakwaterRestart: { reason: interruption.kind, discardedText: this.#tally.text.length } }
    this.#adopt(next, true, 'fallback-target')
    return event
  }

  /**
   * A stream that stopped at the end of its context window: restarted with a shorter history, from the top of the
   * cascade (the same target first), as `converse` does after an overflow; a 413 when it cannot get shorter.
   */
  async #shortened(interruption: Interruption): Promise<StreamRestartEvent> {
    const { deps } = this
    const shorter = this.#truncations < deps.maxTruncations ? deps.truncate?.(this.#input) : undefined
    if (shorter === undefined) throw new ContextOverflowError(FULL_WINDOW, interruption.cause)
    this.#truncations++
    // Shortened here, not in the cascade: the dropped turns get their summary note here too.
    const noted = await deps.summarize?.(this.#input, shorter)
    this.#input = noted ?? shorter
    let next: CascadeResult<StartedStream<E>>
    try {
      next = await deps.start(this.#input, NONE)
    } catch (error) {
      throw this.#exhausted(error, () => new StreamInterruptedError(interruption.kind, this.#tally.text, this.#served, { cause: error }))
    }
    const event: StreamRestartEvent = { breakwaterRestart: { reason: interruption.kind, discardedText: this.#tally.text.length } }
    this.#adopt(next, true, 'truncated-context')
    if (noted !== undefined) this.#degrade('summarized-context')
    return event
  }

  #exhausted(error: unknown, fail: () => StreamInterruptedError): unknown {
    // No target could take over: the interruption is what the caller needs to know, the last failure its cause.
    return error instanceof CallerFaultError && error.statusCode !== 400 ? error : fail()
  }

  /**
   * The stream that takes over. `how`: taken over from the target that was interrupted (another target serves the
   * answer, whatever its place), or the same request with a shorter history.
   */
  #adopt(result: CascadeResult<StartedStream<E>>, fresh: boolean, how: Degradation = 'fallback-target'): void {
    this.#result = result
    const served = servedOf(result)
    this.#served = served.degradations.includes(how)
      ? served
      : { ...served, degraded: served.degraded || how, degradations: [...served.degradations, how] }
    this.#remember(result)
    if (fresh) this.#tally = new StreamTally()
  }

  #degrade(how: Degradation): void {
    if (!this.#served.degradations.includes(how)) this.#served = { ...this.#served, degradations: [...this.#served.degradations, how] }
  }

  #remember(result: CascadeResult<StartedStream<E>>): void {
    for (const attempt of result.attempts) this.#tried.add(this.deps.keyOf(attempt.target))
  }
}

function servedOf<E>(result: CascadeResult<StartedStream<E>>): StreamServed {
  const last = result.attempts[result.attempts.length - 1]
  return { ...result.served, timeToFirstTokenMs: last?.latencyMs ?? 0 }
}
