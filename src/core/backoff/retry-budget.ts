/**
 * The container-wide retry budget (Finagle `RetryBudget`, Envoy `retry_budget`): over a sliding window, retries may
 * be at most `minRetriesPerSecond·windowSeconds + ratio·requests`. Per-request retry limits cannot stop a retry
 * storm — a fleet of callers each retrying 3 times quadruples the load on a struggling upstream — a share of the
 * traffic can.
 */
import type { Clock } from '../clock.js'
import { resolveRetryBudgetPolicy } from './policy.js'
import type { RetryBudgetPolicy } from './types.js'

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
  readonly #seconds: number
  /** Retries allowed in any window regardless of traffic, so a quiet container can still retry. */
  readonly #floor: number
  readonly #requests: Float64Array
  readonly #retries: Float64Array
  /** The second (epoch ms / 1000, floored) that the newest bucket stands for. */
  #head: number
  #requestTotal = 0
  #retryTotal = 0

  /** @throws BreakwaterConfigError when `policy` is out of range (it is checked like user options). */
  constructor(policy: RetryBudgetPolicy, clock: Clock) {
    this.policy = resolveRetryBudgetPolicy(policy, 'breakwater/backoff')
    this.#clock = clock
    this.#seconds = this.policy.windowMs / 1_000
    this.#floor = this.policy.minRetriesPerSecond * this.#seconds
    this.#requests = new Float64Array(this.#seconds)
    this.#retries = new Float64Array(this.#seconds)
    this.#head = Math.floor(clock.now() / 1_000)
  }

  /** Counts one request into the window (`now`: the caller's clock reading, if it has one). */
  recordRequest(now = this.#clock.now()): void {
    this.#requests[this.#advance(now)]! += 1
    this.#requestTotal += 1
  }

  /** Grants and counts one retry if the window still has room for it; otherwise returns false and counts nothing. */
  tryAcquireRetry(): boolean {
    const slot = this.#advance(this.#clock.now())
    if (!(this.#retryTotal < this.#limit())) return false
    this.#retries[slot]! += 1
    this.#retryTotal += 1
    return true
  }

  snapshot(): RetryBudgetSnapshot {
    this.#advance(this.#clock.now())
    const room = this.#limit() - this.#retryTotal
    // `retries < limit` is the grant test, so room 2.2 grants 3 more (at 0, 1 and 2 spent).
    return { requests: this.#requestTotal, retries: this.#retryTotal, available: room > 0 ? Math.ceil(room) : 0 }
  }

  #limit(): number {
    return this.#floor + this.policy.ratio * this.#requestTotal
  }

  /**
   * Moves the window up to now, clearing the buckets of seconds that fell out of it, and returns the current
   * bucket's index. A clock that steps back (NTP) keeps counting into the newest bucket rather than rewriting the
   * past.
   */
  #advance(now: number): number {
    const second = Math.floor(now / 1_000)
    const passed = second - this.#head
    if (passed > 0) {
      for (let i = 1, n = Math.min(passed, this.#seconds); i <= n; i++) {
        const slot = this.#slot(this.#head + i)
        this.#requestTotal -= this.#requests[slot]!
        this.#retryTotal -= this.#retries[slot]!
        this.#requests[slot] = 0
        this.#retries[slot] = 0
      }
      this.#head = second
    }
    return this.#slot(this.#head)
  }

  #slot(second: number): number {
    return ((second % this.#seconds) + this.#seconds) % this.#seconds
  }
}
