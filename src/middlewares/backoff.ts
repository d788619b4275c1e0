/**
 * backoff(): retries with full-jitter exponential backoff that never waits past the Lambda deadline, under a
 * per-container retry budget so a fleet of retries cannot turn a brief throttle into a storm.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import { resolveBackoffPolicy, resolveRetryBudgetPolicy } from '../core/backoff/policy.js'
import { RetryBudget } from '../core/backoff/retry-budget.js'
import type { BackoffPolicy, RetryBudgetPolicy } from '../core/backoff/types.js'
import { systemClock, type Clock } from '../core/clock.js'
import type { BackoffPart } from '../core/engine/engine.js'
import { parseOptions } from '../core/config/index.js'
import { BACKOFF_OPTIONS } from './schema/backoff.js'
import { joinInvocation } from './stack.js'

const SOURCE = 'breakwater/backoff'

/**
 * Backoff options: the policy fields (all optional, defaults in README) plus the retry budget.
 * @example backoff({ maxAttempts: 4, throttleBaseMs: 800, reserveMs: 500, retryBudget: { ratio: 0.1 } })
 */
export interface BackoffOptions extends Partial<BackoffPolicy> {
  /** Retries may add at most this share of requests (plus a small per-second floor), per container. */
  readonly retryBudget?: Partial<RetryBudgetPolicy>
  /** Time source, for tests and benches. */
  readonly clock?: Clock
}

export function backoff(options?: BackoffOptions): MiddlewareObj {
  const part = backoffPart(options)
  const breakwaterBackoffBefore = (request: Request): void => joinInvocation(request, 'backoff', part)
  return { name: 'breakwater-backoff', before: breakwaterBackoffBefore }
}

/** The backoff's immutable part of an engine. One retry budget per container: it counts across invocations. */
export function backoffPart(options?: BackoffOptions): BackoffPart {
  const { retryBudget, clock, ...policyOptions } = parseOptions(BACKOFF_OPTIONS, options, SOURCE)
  const policy = resolveBackoffPolicy(policyOptions, SOURCE)
  const budgetPolicy = resolveRetryBudgetPolicy(retryBudget, SOURCE)
  return Object.freeze({ policy, budget: new RetryBudget(budgetPolicy, clock ?? systemClock) })
}
