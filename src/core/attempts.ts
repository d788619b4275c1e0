import type { BreakerStateName } from './breaker/types.js'
import type { Target } from './target.js'

/** What happened to one step of the cascade. */
export type AttemptOutcome =
  | 'success'
  /**
   * A guardrail or the content filter replaced the answer (`served.intervened`): served as it is, but neither a
   * success nor a failure to the breaker, the canary or the health tracker.
   */
  | 'intervened'
  | FailureClass
  /** The breaker for this target is open (or half-open with no permit left): no call was made. */
  | 'skipped-open'
  /** Not enough Lambda time left to start this attempt or the wait before it: no call was made. */
  | 'skipped-deadline'
  /** The retry budget is spent: the retry was not made. */
  | 'skipped-budget'
  /** The target throttles more than it accepts: the adaptive throttle shed this call before it was sent. */
  | 'skipped-shed'
  /** The target's declared quota has no room for this call this minute, fleet-wide: it was not sent. */
  | 'skipped-quota'
  /** The request does not fit the target's context window, even shortened: it was not sent. */
  | 'skipped-context'

/** One line of the story of a request, kept for logs, `served` and the final error. */
export interface AttemptRecord {
  readonly target: Target
  /** 1-based attempt number on this target. */
  readonly attempt: number
  readonly outcome: AttemptOutcome
  /** The upstream error's name (e.g. `ThrottlingException`), when there was one. */
  readonly errorName?: string
  /** Time spent in the call, ms (0 for skipped steps). */
  readonly latencyMs: number
  /** Time waited before this attempt, ms. */
  readonly waitMs: number
  /** The target's breaker state when it was admitted (or refused); absent without circuitBreaker() or when skipped before asking. */
  readonly breakerState?: BreakerStateName
}

/** What an upstream failure leads to (classified in failure.ts; defined here, where attempts record it). */
export type FailureClass =
  /** 429s and quota: back off with full jitter, then the next target. Counts against the breaker. */
  | 'throttled'
  /** 5xx and network errors: the next target at once. Counts against the breaker. */
  | 'unavailable'
  /** The model or our own deadline timed out: the next target with less to do. Counts against the breaker. */
  | 'timed-out'
  /** The input is too long for the model: truncate and retry the same target. Not a breaker failure. */
  | 'context-overflow'
  /** The model answered but the output did not validate: retry with format instructions, limited. */
  | 'malformed-output'
  /** The request itself is wrong: no retry, no breaker failure, a 4xx reply. */
  | 'caller-fault'
