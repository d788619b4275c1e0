/**
 * Where a failed attempt is retried in place, and after how long. A pure rule: whether the retry budget and the
 * deadline allow it is the cascade's to check.
 */
import type { BreakerStateName } from '../breaker/types.js'
import { retryDelay } from '../backoff/jitter.js'
import type { BackoffPolicy } from '../backoff/types.js'
import type { Random } from '../clock.js'
import type { FailureClass } from '../failure.js'

export interface RetryQuestion {
  readonly failureClass: FailureClass
  /** Failures on this target so far, this one included. */
  readonly failures: number
  /** The last target of the walk: nowhere else to go. */
  readonly isLast: boolean
  /** The target's breaker state when this attempt was admitted. */
  readonly breakerState: BreakerStateName
  readonly retryAfterMs: number | undefined
  readonly policy: BackoffPolicy
  readonly random: Random
}

/**
 * The retry on the same target, or undefined to move on. Throttling is retried in place (the quota refills),
 * after a full-jitter wait. A first 5xx or reset on a healthy target (breaker closed) is retried once at once
 * (`immediate`), since a lone 5xx is usually transient and the first target is the one asked for; after that, a
 * 5xx or timeout is retried only on the last target, since another target may serve at once.
 */
export function retryInPlace(q: RetryQuestion): { readonly delayMs: number; readonly immediate: boolean } | undefined {
  if (q.failures >= q.policy.maxAttempts) return undefined
  if (q.failureClass === 'unavailable' && q.failures === 1 && !q.isLast && q.breakerState === 'closed') {
    return { delayMs: 0, immediate: true }
  }
  if (q.failureClass !== 'throttled' && !q.isLast) return undefined
  const delayMs = retryDelay({
    failureClass: q.failureClass, retryNumber: q.failures - 1, retryAfterMs: q.retryAfterMs, policy: q.policy, random: q.random,
  })
  return Number.isFinite(delayMs) ? { delayMs, immediate: false } : undefined
}
