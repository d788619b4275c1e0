import type { AdaptiveThrottle } from '../admission/adaptive-throttle.js'
import type { QuotaBook } from '../admission/quota-book.js'
import type { AttemptRecord } from '../attempts.js'
import type { BackoffPolicy } from '../backoff/types.js'
import type { RetryBudget } from '../backoff/retry-budget.js'
import type { Deadline } from '../backoff/deadline.js'
import type { CircuitBreaker } from '../breaker/circuit-breaker.js'
import type { Clock, Random } from '../clock.js'
import type { FailureClass } from '../failure.js'
import type { FallbackPolicy } from '../fallback/policy.js'
import type { LatencyMode, ServiceTier, Target } from '../targets.js'
import type { MalformedOutputError } from '../errors.js'
import type { LatencyTracker } from '../health/latency.js'
import type { InterruptionKind } from '../stream/errors.js'
import type { TierServed } from './tiers.js'

/** What the cascade hands the summarizer (invoker/summarizer.ts) besides the request before and after its shortening. */
export interface SummaryContext {
  readonly route: string
  readonly deadline: Deadline
  readonly signal?: AbortSignal | undefined
}

/** The shortened request with the summary note, or undefined when there is none to add (it failed, or no turns were dropped). */
export type Summarize<I> = (before: I, after: I, context: SummaryContext) => Promise<I | undefined>

/** Sends one attempt to one target. The signal aborts it at the attempt timeout or the deadline. */
export type CallFn<I, O> = (target: Target, input: I, signal: AbortSignal) => Promise<O>

/**
 * How a request was made cheaper or moved to keep it served. `cached`: every target failed and the last good reply
 * to the same request was served from the in-container cache (`fallback({ cache })`). `downgraded-tier`: Bedrock
 * served the target's request at a lower service tier (priority → default, default → flex, reserved → default) or
 * at standard latency when it asked for optimized, and said so in its reply. `summarized-context`: the turns a
 * shortening dropped were condensed into a system note by the summarizer (`fallback({ summarize })`); it always
 * comes with `truncated-context`.
 */
export type Degradation =
  | 'cached' | 'fallback-target' | 'truncated-context' | 'summarized-context' | 'reduced-max-tokens' | 'downgraded-tier'

/**
 * What replaced the model's answer: a guardrail (stop reason `guardrail_intervened`) or the model's own content
 * filter (`content_filtered`). The reply's text is the intervention's message, not an answer.
 */
export type Intervention = 'guardrail' | 'content-filter'

/** Where and how a reply was served; returned to the handler as `reply.served`. */
export interface Served {
  readonly route: string
  readonly model: string
  readonly region: string
  /** Upstream calls made for this reply (skipped targets not counted). */
  readonly attempts: number
  /** `false` when the first target served the request as asked; otherwise the most telling degradation. */
  readonly degraded: false | Degradation
  /** Every degradation applied, in the order they happened. */
  readonly degradations: readonly Degradation[]
  /** The service tier that served, as Bedrock's reply says, when the target asked for one. */
  readonly serviceTier?: ServiceTier
  /** The latency mode that served, as Bedrock's reply says, when the target asked for one. */
  readonly latency?: LatencyMode
  /**
   * Set when a guardrail or the content filter replaced the answer: the reply is the intervention's message. Such a
   * reply is never cached, neither a breaker success nor a failure, and counted as `GuardrailInterventions`.
   */
  readonly intervened?: Intervention
}

/** Ways the fallback may rewrite the input between attempts. Absent = that rewrite is not possible. */
export interface InputAdapter<I> {
  /** A shorter history, or undefined when it cannot get shorter. */
  truncate?(input: I): I | undefined
  /** The same request asking for fewer output tokens. */
  reduceTokens?(input: I): I
  /** The same request with instructions about the expected format, after output failed to validate. */
  reask?(input: I, error: MalformedOutputError): I
  /** The `maxTokens` the request asks for, or undefined when it sets none (the model's default). */
  maxTokens?(input: I): number | undefined
  /** The same request with `maxTokens` at most `maxTokens`; the same object when it already asks for no more. */
  capTokens?(input: I, maxTokens: number): I
}

/** How one attempt ended, for `CascadeListener.attemptEnd`. */
export interface AttemptEnd {
  /** The attempt's record; absent when the call ended in an error that is not about the target (caller's abort, a bug). */
  readonly record?: AttemptRecord
  /** The call's output, when it succeeded (validated or not: see `record.outcome`). */
  readonly output?: unknown
  /** The call's error, when it failed. */
  readonly error?: unknown
}

/** What the engine tells logs and metrics about. */
export interface CascadeListener {
  attempt?(record: AttemptRecord, route: string): void
  retry?(target: Target, waitMs: number, failureClass: FailureClass, route: string): void
  deadlineSkip?(target: Target, route: string): void
  served?(served: Served): void
  /** A guardrail or the content filter replaced the answer (a stream's is known at its `messageStop`). */
  intervened?(target: Target, intervention: Intervention, route: string): void
  /**
   * A whole stream was served below its target's tier or latency mode, as its last event (`metadata`) says. A
   * Converse or InvokeModel downgrade is in its `served` instead (its `degradations`), known when the call ends.
   */
  streamDowngraded?(target: Target, served: TierServed, route: string): void
  /**
   * An upstream call is about to start (tracing). Whatever it returns comes back to `attemptEnd`, which is called
   * exactly once for it, on every path. Must not throw.
   */
  attemptStart?(target: Target, attempt: number, route: string): unknown
  /** The call `attemptStart` announced has ended. Must not throw. */
  attemptEnd?(token: unknown, end: AttemptEnd): void
  /** A stream's first token arrived, `ms` after its attempt started. */
  firstToken?(target: Target, ms: number, route: string): void
  /**
   * A started stream broke off: cut (ended without messageStop), stall (silent past its idle limit) or error; or its
   * messageStop's stop reason said the message is no answer (context overflow, malformed output).
   */
  streamInterrupted?(target: Target, kind: InterruptionKind, route: string): void
  /** The summarizer (`fallback({ summarize })`) was asked to condense dropped turns: `added` says whether it did. */
  summarized?(added: boolean, route: string): void
}

/** The policies in force for one request; a missing one means that middleware is not in the stack. */
export interface CascadePolicies {
  readonly breaker?: CircuitBreaker
  /** Which failure classes count against the breaker. */
  readonly breakerClasses?: ReadonlySet<FailureClass>
  /**
   * A successful call slower than this (ms) counts as a failure against the target's breaker (Resilience4j's
   * slow-call threshold); its output is still returned. Absent = off. Only with a breaker.
   */
  readonly slowCallMs?: number
  /** Sheds calls to targets that throttle (client-side adaptive throttling). Only with a breaker; absent = off. */
  readonly admission?: AdaptiveThrottle
  /** The lease book of the targets' declared quotas (`quota` on a target); absent when no target has one. */
  readonly quota?: QuotaBook
  readonly backoff?: { readonly policy: BackoffPolicy; readonly budget: RetryBudget }
  readonly fallback?: FallbackPolicy
}

export interface CascadeRequest<I, O> {
  readonly route: string
  readonly targets: readonly Target[]
  /**
   * A green (canary) cascade's first blue target: walked after green's first even when fallback() does not walk
   * the cascade, so a canary can cost a user latency, never an answer.
   */
  readonly canaryNet?: Target
  readonly input: I
  readonly call: CallFn<I, O>
  readonly policies: CascadePolicies
  readonly deadline: Deadline
  readonly clock: Clock
  readonly random: Random
  readonly adapter?: InputAdapter<I>
  /**
   * Reads the reply's stop reason, before `validate`: throws the failure it stands for (ContextWindowExceededError,
   * MalformedOutputError), returns the intervention that replaced the answer, or undefined for an answer.
   */
  readonly stopReason?: ((output: O) => Intervention | undefined) | undefined
  /** Throws MalformedOutputError when the output does not validate. */
  readonly validate?: (output: O) => void
  /**
   * Part of another request (a hedge's second leg, a summary): not counted as a request of its own by the retry
   * budget, which would otherwise grant retries for calls nobody asked for.
   */
  readonly partOf?: 'hedge' | 'summary' | undefined
  /** Condenses the turns a shortening dropped into a note (`fallback({ summarize })`); absent = plain shortening. */
  readonly summarize?: Summarize<I> | undefined
  /** The caller's signal (Middy's timeout signal): aborts everything. */
  readonly signal?: AbortSignal
  readonly listener?: CascadeListener
  /**
   * Each attempt's time limit for this call instead of `backoff.attemptTimeoutMs`: a stream's first-token limit
   * (its attempt ends at the first token).
   */
  readonly attemptTimeoutMs?: number | undefined
  /** Keys of targets not to try (a restarted stream skips those its earlier cascades tried). */
  readonly skip?: ReadonlySet<string> | undefined
  /** Hears each attempt of a blue/green route and feeds the canary's verdict (the engine adds it for such routers). */
  readonly canary?: { attempt(record: AttemptRecord, route: string): void }
  /**
   * The container's latency tracker: successful calls are recorded in it, and it sizes `maxTokens` when the time
   * left would not fit the reply (deadline-planned degrade, with fallback() and `adapter.capTokens`).
   */
  readonly latency?: LatencyTracker
  /** Reads the output tokens a reply reports (Converse: `usage.outputTokens`), for the tracker's tokens/s. */
  readonly measure?: (output: O) => { readonly outputTokens?: number | undefined } | undefined
}

export interface CascadeResult<O> {
  readonly output: O
  readonly served: Served
  readonly attempts: readonly AttemptRecord[]
}
