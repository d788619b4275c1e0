/**
 * Where a failed attempt is retried in place, and after how long (`retryInPlace`, a pure rule), and whether the
 * deadline and the retry budget allow it (`retryWait`, which records the skip when they do not).
 */
import type { BreakerStateName, Admission } from '../breaker/types.js'
import { retryDelay } from '../backoff/jitter.js'
import type { BackoffPolicy } from '../backoff/types.js'
import type { Random } from '../clock.js'
import type { Classification, FailureClass } from '../failure.js'
import type { Target } from '../targets.js'
import type { Ledger } from './ledger.js'
import type { CascadeRequest } from './types.js'

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

/** A failed attempt's context for `retryWait`: its target, whether it is the walk's last, and how it failed. */
export interface FailedAttempt {
  readonly target: Target
  readonly isLast: boolean
  readonly attempt: number
  /** Failures on this target so far, this one included. */
  readonly failures: number
  readonly c: Classification
  readonly admission: Admission
}

/** The wait before retrying the same target, if the deadline and the retry budget allow it; else undefined. */
export function retryWait(
  req: Pick<CascadeRequest<unknown, unknown>, 'policies' | 'deadline' | 'random'>, ledger: Ledger, policy: BackoffPolicy, f: FailedAttempt,
): number | undefined {
  const budget = req.policies.backoff?.budget
  const retry = budget && retryInPlace({
    failureClass: f.c.failureClass, failures: f.failures, isLast: f.isLast,
    breakerState: f.admission.state, retryAfterMs: f.c.retryAfterMs,
    policy, random: req.random,
  })
  if (!budget || !retry) return undefined
  if (!retry.immediate && !req.deadline.canAfford(retry.delayMs, policy.minAttemptMs)) {
    // No time to wait here; the next target needs no wait and may still fit (checked at its first attempt).
    ledger.deadlineSkip(f.target, f.attempt + 1, 0)
    return undefined
  }
  if (!budget.tryAcquireRetry()) {
    ledger.record(f.target, f.attempt + 1, 'skipped-budget', 0, 0)
    return undefined
  }
  return retry.delayMs
}
