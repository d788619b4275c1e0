/** Backoff and retry-budget tuning. Every time is in ms. */
export interface BackoffPolicy {
  /** Base of the exponential for unavailable / timed-out retries. Default 100. */
  readonly baseMs: number
  /** Base for throttling (429) retries: higher, because the upstream asked us to slow down. Default 500. */
  readonly throttleBaseMs: number
  /** No single wait is longer than this. Default 10 000. */
  readonly capMs: number
  /** Attempts on one target, the first included. Default 3. */
  readonly maxAttempts: number
  /** Time kept back from the Lambda deadline for the degraded reply. Default 300. */
  readonly reserveMs: number
  /** An attempt is not started with less time than this left before the reserve. Default 1 000. */
  readonly minAttemptMs: number
  /** One attempt is aborted after this long (or at the deadline, whichever is first). Default 30 000. */
  readonly attemptTimeoutMs: number
  /** Honour the server's Retry-After when present (still bounded by the cap and the deadline). Default true. */
  readonly honourRetryAfter: boolean
  /**
   * When every target is refused by its breaker (open, or half-open with its probes out), the most a request waits
   * in all for the soonest to admit again, then walks the cascade again, if the deadline allows. Default 2 000:
   * after an outage a request in the gap before the fleet's next probe rides the probe and the 1 → 5 → 10 ramp
   * instead of getting a 503 from a target that is back. 0 answers 503 + Retry-After at once. No extra upstream calls
   * (the breaker still admits only its probes); the cost is Lambda time, at most this much per request.
   */
  readonly reopenWaitMs: number
}

/** The container-wide retry budget (Finagle/Envoy style): retries may be at most a share of requests. */
export interface RetryBudgetPolicy {
  /** Retries allowed per request over the window, e.g. 0.2 = retries may add 20 % to upstream load. Default 0.2. */
  readonly ratio: number
  /**
   * Retries always allowed per second, on top of `ratio`, so a low-traffic container can still retry. Fractions are
   * fine. Default 0.5, i.e. 5 retries per 10 s window: a Lambda container serves one request at a time and manages
   * only a few retries a second, so a floor of several per second would never bind and the budget would not stop
   * a storm.
   */
  readonly minRetriesPerSecond: number
  /** The window requests and retries are counted over. Default 10 000. */
  readonly windowMs: number
}

export const DEFAULT_BACKOFF_POLICY: BackoffPolicy = Object.freeze({
  baseMs: 100,
  throttleBaseMs: 500,
  capMs: 10_000,
  maxAttempts: 3,
  reserveMs: 300,
  minAttemptMs: 1_000,
  attemptTimeoutMs: 30_000,
  honourRetryAfter: true,
  reopenWaitMs: 2_000,
})

export const DEFAULT_RETRY_BUDGET: RetryBudgetPolicy = Object.freeze({
  ratio: 0.2,
  minRetriesPerSecond: 0.5,
  windowMs: 10_000,
})
