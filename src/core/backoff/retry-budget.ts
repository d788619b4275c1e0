/**
 * The container-wide retry budget (Finagle `RetryBudget`, Envoy `retry_budget`): over a sliding window, retries may
 * be at most `minRetriesPerSecond·windowSeconds + ratio·requests`. Per-request retry limits cannot stop a retry
 * storm — a fleet of callers each retrying 3 times quadruples the load on a struggling upstream — a share of the
 * traffic can.
 */
import type { Clock } from '../clock.js'
import { resolveRetryBudgetPolicy } from './policy.js'
import type { RetryBudgetPolicy } from './types.js'
import { SecondWindow } from '../window.js'

const REQUESTS = 0
const RETRIES = 1

/** What the budget holds right now. */
export interface RetryBudgetSnapshot {
  /** Requests recorded in the window. */
  readonly requests: number
  /** Retries granted in the window. */
  readonly retries: number
  /** How many more retries would be granted now, if no request came in meanwhile. */
  readonly available: number
}

/**
 * One per container (module scope), shared by every invocation it serves. Counts are kept in 1-second buckets in a
 * ring, with running totals, so each call costs O(1) plus one bucket cleared per second that has passed. The
 * window therefore covers the current second and the `windowSeconds − 1` before it.
 *
 * Call `recordRequest()` once per logical call to Bedrock (not per attempt), and `tryAcquireRetry()` before each
 * retry; a `false` means "no retry: move on to the fallback, or fail".
 */
export class RetryBudget {
  readonly policy: RetryBudgetPolicy
  readonly #clock: Clock
  /** Retries allowed in any window regardless of traffic, so a quiet container can still retry. */
  readonly #floor: number
  readonly #window: SecondWindow

  /** @throws BreakwaterConfigError when `policy` is out of range (it is checked like user options). */
  constructor(policy: RetryBudgetPolicy, clock: Clock) {
    this.policy = resolveRetryBudgetPolicy(policy, 'breakwater/backoff')
    this.#clock = clock
    const seconds = this.policy.windowMs / 1_000
    this.#floor = this.policy.minRetriesPerSecond * seconds
    this.#window = new SecondWindow(seconds, 2, clock.now())
  }

  /** Counts one request into the window (`now`: the caller's clock reading, if it has one). */
  recordRequest(now = this.#clock.now()): void {
    this.#window.add(now, REQUESTS)
  }

  /** Grants and counts one retry if the window still has room for it; otherwise returns false and counts nothing. */
  tryAcquireRetry(): boolean {
    const now = this.#clock.now()
    if (!(this.#window.total(now, RETRIES) < this.#limit(now))) return false
    this.#window.add(now, RETRIES)
    return true
  }

  snapshot(): RetryBudgetSnapshot {
    const now = this.#clock.now()
    const retries = this.#window.total(now, RETRIES)
    const room = this.#limit(now) - retries
    // `retries < limit` is the grant test, so room 2.2 grants 3 more (at 0, 1 and 2 spent).
    return { requests: this.#window.total(now, REQUESTS), retries, available: room > 0 ? Math.ceil(room) : 0 }
  }

  #limit(now: number): number {
    return this.#floor + this.policy.ratio * this.#window.total(now, REQUESTS)
  }
}
