import type { AttemptRecord } from '../attempts.js'
import type { BackoffPolicy } from '../backoff/types.js'
import type { RetryBudget } from '../backoff/retry-budget.js'
import type { Deadline } from '../backoff/deadline.js'
import type { CircuitBreaker } from '../breaker/circuit-breaker.js'
import type { Clock, Random } from '../clock.js'
import type { FailureClass } from '../failure.js'
import type { FallbackPolicy } from '../fallback/policy.js'
import type { Target } from '../targets.js'
import type { MalformedOutputError } from '../errors.js'

/** Sends one attempt to one target. The signal aborts it at the attempt timeout or the deadline. */
export type CallFn<I, O> = (target: Target, input: I, signal: AbortSignal) => Promise<O>

/** How a request was made cheaper or moved to keep it served. */
export type Degradation = 'fallback-target' | 'truncated-context' | 'reduced-max-tokens'

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
}

/** Ways the fallback may rewrite the input between attempts. Absent = that rewrite is not possible. */
export interface InputAdapter<I> {
  /** A shorter history, or undefined when it cannot get shorter. */
  truncate?(input: I): I | undefined
  /** The same request asking for fewer output tokens. */
  reduceTokens?(input: I): I
  /** The same request with instructions about the expected format, after output failed to validate. */
  reask?(input: I, error: MalformedOutputError): I
}

/** What the engine tells logs and metrics about. */
export interface CascadeListener {
  attempt?(record: AttemptRecord, route: string): void
  retry?(target: Target, waitMs: number, failureClass: FailureClass, route: string): void
  deadlineSkip?(target: Target, route: string): void
  served?(served: Served): void
}

/** The policies in force for one request; a missing one means that middleware is not in the stack. */
export interface CascadePolicies {
  readonly breaker?: CircuitBreaker
  /** Which failure classes count against the breaker. */
  readonly breakerClasses?: ReadonlySet<FailureClass>
  readonly backoff?: { readonly policy: BackoffPolicy; readonly budget: RetryBudget }
  readonly fallback?: FallbackPolicy
}

export interface CascadeRequest<I, O> {
  readonly route: string
  readonly targets: readonly Target[]
  readonly input: I
  readonly call: CallFn<I, O>
  readonly policies: CascadePolicies
  readonly deadline: Deadline
  readonly clock: Clock
  readonly random: Random
  readonly adapter?: InputAdapter<I>
  /** Throws MalformedOutputError when the output does not validate. */
  readonly validate?: (output: O) => void
  /** The caller's signal (Middy's timeout signal): aborts everything. */
  readonly signal?: AbortSignal
  readonly listener?: CascadeListener
}

export interface CascadeResult<O> {
  readonly output: O
  readonly served: Served
  readonly attempts: readonly AttemptRecord[]
}
