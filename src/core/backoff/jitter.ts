/**
 * How long to wait before a retry. Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): the wait is
 * uniform in [0, min(cap, base·2^n)], which spreads a herd of throttled clients better than equal or decorrelated
 * jitter for the same total work.
 */
import type { Random } from '../clock.js'
import type { FailureClass } from '../failure.js'
import type { BackoffPolicy } from './types.js'

/** The largest power of two that is a finite double: larger `2 ** n` would overflow before the base scales it down. */
const MAX_FINITE_DOUBLING = 1_023

/** Share of the base added on top of a server's Retry-After, so clients told the same instant do not return in step. */
const RETRY_AFTER_SPREAD = 0.1

/**
 * The upper bound of the full-jitter wait before retry `retryNumber` (0 = the first retry): min(cap, base·2^n).
 * A negative or NaN `retryNumber` counts as 0; a fractional one is floored.
 */
export function backoffCeiling(retryNumber: number, baseMs: number, capMs: number): number {
  // A zero base never grows; without this guard `0·2^n` could become `0·Infinity = NaN`.
  if (!(baseMs > 0)) return 0
  let left = retryNumber > 0 ? Math.floor(retryNumber) : 0
  let ceiling = baseMs
  // Doubles in chunks a double can hold, and stops once past the cap: a handful of steps whatever `n` is (even
  // Infinity), and exact for a tiny base whose `base·2^n` is finite although `2^n` alone is not.
  while (left > 0 && ceiling < capMs) {
    const step = Math.min(left, MAX_FINITE_DOUBLING)
    ceiling *= 2 ** step
    left -= step
  }
  return Math.max(0, Math.min(capMs, ceiling))
}

/**
 * Full-jitter wait before retry `retryNumber` (0 = the first retry): uniform in [0, min(cap, base·2^n)].
 * The result is clamped into that range even if `random` strays outside [0, 1), so a faulty random source can make
 * waits less random but never longer than the cap.
 */
export function fullJitterDelay(retryNumber: number, baseMs: number, capMs: number, random: Random): number {
  const ceiling = backoffCeiling(retryNumber, baseMs, capMs)
  const delay = random() * ceiling
  return delay > 0 ? Math.min(delay, ceiling) : 0
}

export interface RetryDelayInput {
  /** Why the last attempt failed: throttling backs off from `throttleBaseMs`, everything else from `baseMs`. */
  readonly failureClass: FailureClass
  /** 0 for the first retry on this target. */
  readonly retryNumber: number
  /** The server's Retry-After, ms, when the failed response carried one (see `parseRetryAfter`). */
  readonly retryAfterMs?: number | undefined
  readonly policy: BackoffPolicy
  readonly random: Random
}

/**
 * The wait before the next attempt on the same target, ms. `Infinity` means the server asked for a longer pause
 * than `capMs` allows: waiting here is not worth it, move on to the next target. Whether to retry at all (and
 * whether the wait fits the Lambda deadline and the retry budget) is the caller's call, not this function's.
 */
export function retryDelay(input: RetryDelayInput): number {
  const { failureClass, retryNumber, retryAfterMs, policy, random } = input
  const baseMs = failureClass === 'throttled' ? policy.throttleBaseMs : policy.baseMs
  // `>= 0` also drops NaN; an Infinity (a Retry-After too long to parse) lands in the "beyond the cap" case.
  if (policy.honourRetryAfter && retryAfterMs !== undefined && retryAfterMs >= 0) {
    if (retryAfterMs > policy.capMs) return Infinity
    // The server knows its own recovery better than our exponential guess: wait at least what it said.
    const spread = Math.max(0, Math.min(1, random())) * RETRY_AFTER_SPREAD * baseMs
    return Math.min(policy.capMs, retryAfterMs + spread)
  }
  return fullJitterDelay(retryNumber, baseMs, policy.capMs, random)
}
