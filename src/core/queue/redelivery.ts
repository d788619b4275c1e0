/**
 * What a queue worker does with a record it could not serve: when to see it again, or that it never can be served.
 *
 * Plain SQS redelivery (throw, and the message comes back after the queue's visibility timeout) burns one receive
 * per timeout whatever the cause, so a ten-minute outage exhausts a `maxReceiveCount` of 3–5 and parks good requests
 * in the dead-letter queue while the provider is merely down. Here a record that cannot be served now is made visible
 * again when its targets can next serve: the breaker's reopen time (the `retryAfterSeconds` of the cascade's
 * AllTargetsFailedError) plus a spread, so records do not all return in the same instant and the half-open ramp lets
 * them through a few at a time.
 *
 * A fleet breaker reopens every few seconds, so timing every redelivery to it alone would cost a receive every few
 * seconds for as long as an outage lasts. The wait therefore never falls below a share of the record's age
 * (`ageShare`, 10 %): a record is redelivered at ages a, 1.1a, 1.21a, …, so the receives a record uses grow with the
 * logarithm of the outage's length (about 25 per tenfold), and a request served after an outage waits at most 10 % of
 * the outage beyond it.
 *
 * Every redelivery is a receive, and SQS moves a message to the dead-letter queue once its receive count passes the
 * queue's `maxReceiveCount` (3–5 is usual): a 60 s outage with the fleet reopening every 5 s is a dozen receives. So
 * once a record has been received `requeueAtReceiveCount` times, it is requeued instead: a fresh copy is sent due at
 * the same time (DelaySeconds) and the original deleted, and the copy's count starts again. The queue's
 * `maxReceiveCount` (set it above `requeueAtReceiveCount`) stays a backstop for a worker that crashes or throws
 * something unknown, not a retry limit.
 * A record older than `maxAgeSeconds` or failing for the caller's fault goes to the dead-letter queue at once, with
 * its reason.
 */
import type { Random } from '../clock.js'

/** What serving the record ended in. */
export type RecordVerdict =
  /** Answered (or answered from the cache, which the worker decides to keep or not): delete the message. */
  | { readonly kind: 'served' }
  /** No target could serve now (open, shed, out of time, failed upstream); the hint as AllTargetsFailedError has it. */
  | { readonly kind: 'not-now'; readonly retryAfterSeconds?: number | undefined; readonly retryAfterAtMostSeconds?: number | undefined }
  /** The request can never be served as it is (a caller fault: bad body, validation, access). */
  | { readonly kind: 'never'; readonly reason: string }

export type RedeliveryPlan =
  | { readonly action: 'delete' }
  /** Make the message visible again after this many whole seconds (SQS ChangeMessageVisibility). */
  | { readonly action: 'redeliver'; readonly visibilitySeconds: number }
  /** Send a fresh copy due in this many whole seconds (SQS DelaySeconds) and delete this one: its receive count restarts. */
  | { readonly action: 'requeue'; readonly delaySeconds: number }
  | { readonly action: 'dead-letter'; readonly reason: string }

export interface RedeliveryPolicy {
  /** Shortest wait, s. Default 1. */
  readonly minDelaySeconds: number
  /** Longest wait, s (SQS allows 43 200). Default 900: after a long outage a request is retried every 15 min. */
  readonly maxDelaySeconds: number
  /** Wait without a hint from the cascade (some target failed without a Retry-After), s. Default 5. */
  readonly defaultDelaySeconds: number
  /** The wait is at least this share of the record's age. Default 0.1. */
  readonly ageShare: number
  /** Spread added to a hinted wait, as a share of it (at least 1 s). Default 0.2. */
  readonly spread: number
  /** A record older than this is dead-lettered as expired, s. Default 86 400 (a day). */
  readonly maxAgeSeconds: number
  /**
   * A record received this many times is requeued (a fresh copy, receive count 1) rather than made visible again.
   * Keep it below the queue's `maxReceiveCount`. Default 3.
   */
  readonly requeueAtReceiveCount: number
}

export const DEFAULT_REDELIVERY_POLICY: RedeliveryPolicy = Object.freeze({
  minDelaySeconds: 1, maxDelaySeconds: 900, defaultDelaySeconds: 5, ageShare: 0.1, spread: 0.2, maxAgeSeconds: 86_400,
  requeueAtReceiveCount: 3,
})

/** SQS's own limits on a visibility timeout and on a message's delay. */
export const SQS_MAX_VISIBILITY_SECONDS = 43_200
export const SQS_MAX_DELAY_SECONDS = 900

export interface RecordFacts {
  /** Seconds since the request was first queued (the envelope's acceptedAt, or SQS `SentTimestamp`). */
  readonly ageSeconds: number
  /** How many times SQS has delivered this message, this time included (`ApproximateReceiveCount`). */
  readonly receiveCount: number
}

export function planRedelivery(verdict: RecordVerdict, facts: RecordFacts, policy: RedeliveryPolicy, random: Random): RedeliveryPlan {
  if (verdict.kind === 'served') return { action: 'delete' }
  if (verdict.kind === 'never') return { action: 'dead-letter', reason: verdict.reason }
  const age = Math.max(0, facts.ageSeconds)
  if (age >= policy.maxAgeSeconds) return { action: 'dead-letter', reason: 'expired' }
  const hint = verdict.retryAfterSeconds ?? verdict.retryAfterAtMostSeconds
  const base = hint ?? policy.defaultDelaySeconds
  const floor = Math.max(base, age * policy.ageShare)
  const spread = Math.max(1, floor * policy.spread) * clampUnit(random())
  const wait = Math.ceil(Math.min(policy.maxDelaySeconds, Math.max(policy.minDelaySeconds, floor + spread)))
  // A copy due later than SQS can delay a message comes back early, and is requeued again: one receive more.
  if (facts.receiveCount >= policy.requeueAtReceiveCount) return { action: 'requeue', delaySeconds: Math.min(wait, SQS_MAX_DELAY_SECONDS) }
  return { action: 'redeliver', visibilitySeconds: Math.min(wait, SQS_MAX_VISIBILITY_SECONDS) }
}

/** A random source straying outside [0, 1) makes waits less random, never out of their bounds. */
const clampUnit = (x: number): number => (x >= 0 && x < 1 ? x : x >= 1 ? 1 : 0)
