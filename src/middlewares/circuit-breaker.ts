/**
 * circuitBreaker(): one breaker per target, kept in a store (in-container by default; DynamoDB to share it with
 * the fleet). Open targets are skipped without a call; half-open ones admit probes in stages.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import { breakerListener, type Observability } from '../aws/observability.js'
import { CircuitBreaker } from '../core/breaker/circuit-breaker.js'
import { resolvePolicy } from '../core/breaker/policy.js'
import { MemoryBreakerStore } from '../core/breaker/memory-store.js'
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy, type BreakerStore } from '../core/breaker/types.js'
import { systemClock, type Clock } from '../core/clock.js'
import { BreakwaterConfigError } from '../core/errors.js'
import { BREAKER_FAILURE_CLASSES, type FailureClass } from '../core/failure.js'
import { expectMethods, optionsObject, rejectUnknownKeys } from './options.js'
import { enterRole } from './state.js'

const SOURCE = 'breakwater/circuit-breaker'
const COUNTABLE: readonly FailureClass[] = ['throttled', 'unavailable', 'timed-out', 'malformed-output']

/**
 * Breaker options: the policy fields (all optional, defaults in README) plus where state lives.
 * @example circuitBreaker({ failureRateThreshold: 0.5, cooldownMs: 30_000, probeStages: [1, 5, 10] })
 */
export interface CircuitBreakerOptions extends Partial<BreakerPolicy>, Observability {
  /** Where breaker state lives. Default: a MemoryBreakerStore (this container only). */
  readonly store?: BreakerStore
  /** Failure classes that count against a target. Default: throttled, unavailable, timed-out. */
  readonly failureClasses?: readonly FailureClass[]
  /** Time source, for tests and benches. */
  readonly clock?: Clock
}

const KEYS = [...Object.keys(DEFAULT_BREAKER_POLICY), 'store', 'failureClasses', 'clock', 'logger', 'metrics']

export function circuitBreaker(options?: CircuitBreakerOptions): MiddlewareObj {
  const given = optionsObject(SOURCE, options)
  rejectUnknownKeys(SOURCE, given, KEYS, 'breaker')
  const { store, failureClasses, clock, logger, metrics, ...policyOptions } = given
  const policy = resolvePolicy(policyOptions, SOURCE)
  expectMethods(SOURCE, 'store', store, ['read', 'recordOutcome', 'compareAndSet'])
  expectMethods(SOURCE, 'clock', clock, ['now', 'sleep'])
  expectMethods(SOURCE, 'logger', logger, ['debug', 'info', 'warn'])
  expectMethods(SOURCE, 'metrics', metrics, ['addMetric'])
  const classes = resolveFailureClasses(failureClasses)
  // One breaker per container: its cache and the in-memory store outlive the invocation.
  const breaker = new CircuitBreaker({
    store: store ?? new MemoryBreakerStore(),
    policy,
    clock: clock ?? systemClock,
    listener: breakerListener({ ...(logger && { logger }), ...(metrics && { metrics }) }),
  })
  const shared = Object.freeze({ breaker, failureClasses: classes })

  const breakwaterCircuitBreakerBefore = (request: Request): void => {
    enterRole(request, 'circuitBreaker').breaker = shared
  }
  return { name: 'breakwater-circuit-breaker', before: breakwaterCircuitBreakerBefore }
}

function resolveFailureClasses(list: readonly FailureClass[] | undefined): ReadonlySet<FailureClass> {
  if (list === undefined) return BREAKER_FAILURE_CLASSES
  if (!Array.isArray(list) || list.length === 0) throw new BreakwaterConfigError(SOURCE, 'breaker.failureClasses', 'must be a non-empty list')
  const bad = list.find((c) => !COUNTABLE.includes(c))
  if (bad !== undefined) throw new BreakwaterConfigError(SOURCE, 'breaker.failureClasses', `cannot count "${String(bad)}" (countable: ${COUNTABLE.join(', ')})`)
  return new Set(list)
}
