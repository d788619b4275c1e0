/**
 * circuitBreaker(): one breaker per target, kept in a store (in-container by default; DynamoDB to share it with
 * the fleet). Open targets are skipped without a call; half-open ones admit probes in stages.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import { resolveStoreOptions, type DynamoDBBreakerStoreOptions } from '../aws/dynamodb/options.js'
import { LazyBreakerStore } from '../core/breaker/lazy-store.js'
import { breakerListener, type Observability } from '../aws/observability.js'
import { CircuitBreaker } from '../core/breaker/circuit-breaker.js'
import { resolvePolicy } from '../core/breaker/policy.js'
import { MemoryBreakerStore } from '../core/breaker/memory-store.js'
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy, type BreakerStore } from '../core/breaker/types.js'
import { systemClock, type Clock } from '../core/clock.js'
import { BreakwaterConfigError } from '../core/errors.js'
import { BREAKER_FAILURE_CLASSES, UPSTREAM_FAILURE_CLASSES, type FailureClass } from '../core/failure.js'
import { expectBoolean, expectMethods, optionsObject, rejectUnknownKeys } from './options.js'
import type { BreakerPart } from '../core/engine/engine.js'
import { joinInvocation } from './stack.js'

const SOURCE = 'breakwater/circuit-breaker'
const SHARED_CLOCK_SKEW_MS = 2_000

/**
 * Breaker options: the policy fields (all optional, defaults in README) plus where state lives.
 * @example circuitBreaker({ failureRateThreshold: 0.5, cooldownMs: 30_000, probeStages: [1, 5, 10] })
 */
export interface CircuitBreakerOptions extends Partial<BreakerPolicy>, Observability {
  /**
   * The DynamoDB table that shares breaker state with every instance (see README for its CloudFormation). When the
   * table fails or is slow, the breaker runs on local state (and counts `BreakerStoreErrors`) until it is back.
   * @example circuitBreaker({ tableName: process.env.BREAKER_TABLE })
   */
  readonly tableName?: string
  /** Tuning of the DynamoDB store: `client`, `clientConfig`, `refreshMs`, `flushMs`. Only with `tableName`. */
  readonly dynamodb?: Omit<DynamoDBBreakerStoreOptions, 'tableName' | 'clock'>
  /** After a failure of the shared store, how long to run on local state before trying it again, ms. Default 30 000. */
  readonly localFallbackMs?: number
  /** Where breaker state lives, for a store of your own. Default: the table if `tableName`, else this container only. */
  readonly store?: BreakerStore
  /**
   * A successful call slower than this counts against its target as a failure (its reply is still returned), like
   * Resilience4j's slow-call rate. Default: off.
   * @example circuitBreaker({ slowCallMs: 8_000 })
   */
  readonly slowCallMs?: number
  /** Failure classes that count against a target. Default: throttled, unavailable, timed-out. */
  readonly failureClasses?: readonly FailureClass[]
  /** Time source, for tests and benches. */
  readonly clock?: Clock
}

const KEYS = [...Object.keys(DEFAULT_BREAKER_POLICY), 'tableName', 'dynamodb', 'localFallbackMs', 'store', 'slowCallMs', 'failureClasses', 'clock', 'logger', 'metrics', 'logErrorMessages']

export function circuitBreaker(options?: CircuitBreakerOptions): MiddlewareObj {
  const part = breakerPart(options)
  const breakwaterCircuitBreakerBefore = (request: Request): void => joinInvocation(request, 'circuitBreaker', part)
  return { name: 'breakwater-circuit-breaker', before: breakwaterCircuitBreakerBefore }
}

/** The breaker's immutable part of an engine: one breaker per container, its cache and store outliving invocations. */
export function breakerPart(options?: CircuitBreakerOptions): BreakerPart {
  const given = optionsObject(SOURCE, options)
  rejectUnknownKeys(SOURCE, given, KEYS, 'breaker')
  const { tableName, dynamodb, localFallbackMs, store, slowCallMs, failureClasses, clock, logger, metrics, logErrorMessages, ...policyOptions } = given
  if (slowCallMs !== undefined && !(typeof slowCallMs === 'number' && slowCallMs > 0 && Number.isFinite(slowCallMs))) {
    throw new BreakwaterConfigError(SOURCE, 'breaker.slowCallMs', 'must be a positive number of ms')
  }
  // `tableName: process.env.BREAKER_TABLE` with the variable unset must not quietly become a per-container breaker.
  if (Object.hasOwn(given, 'tableName') && tableName === undefined) throw new BreakwaterConfigError(SOURCE, 'breaker.tableName', 'is undefined (is the environment variable set?)')
  // Instances sharing a table have clocks of their own: allow the ±2 s the fleet may differ by.
  const fleetWide = tableName !== undefined || isSharedStore(store)
  const skew = policyOptions.clockSkewMs !== undefined ? policyOptions.clockSkewMs : (fleetWide ? SHARED_CLOCK_SKEW_MS : undefined)
  const policy = resolvePolicy({ ...policyOptions, clockSkewMs: skew }, SOURCE)
  expectMethods(SOURCE, 'store', store, ['read', 'recordOutcome', 'compareAndSet'])
  expectMethods(SOURCE, 'clock', clock, ['now', 'sleep'])
  expectBoolean(SOURCE, 'breaker.logErrorMessages', logErrorMessages)
  expectMethods(SOURCE, 'logger', logger, ['debug', 'info', 'warn'])
  expectMethods(SOURCE, 'metrics', metrics, ['addMetric'])
  const classes = resolveFailureClasses(failureClasses)
  const listener = breakerListener({ ...(logger && { logger }), ...(metrics && { metrics }), logErrorMessages: logErrorMessages === true })
  // One breaker per container: its cache and the in-memory store outlive the invocation.
  const breaker = new CircuitBreaker({
    store: resolveStore({ tableName, dynamodb, localFallbackMs, store, clock }, policy.windowMs),
    policy,
    clock: clock ?? systemClock,
    listener,
    localFallbackMs,
  })
  return Object.freeze({ breaker, failureClasses: classes, slowCallMs })
}

type StoreOptions = Pick<CircuitBreakerOptions, 'tableName' | 'dynamodb' | 'localFallbackMs' | 'store' | 'clock'>

/** Successes reach the fleet's window up to flushMs late; past a sixth of the window they skew the rate upward. */
const MAX_FLUSH_SHARE_OF_WINDOW = 6

function resolveStore(o: StoreOptions, windowMs: number): BreakerStore {
  if (o.localFallbackMs !== undefined && !(typeof o.localFallbackMs === 'number' && o.localFallbackMs > 0 && Number.isFinite(o.localFallbackMs))) throw new BreakwaterConfigError(SOURCE, 'breaker.localFallbackMs', 'must be a positive number of ms')
  if (o.tableName === undefined) {
    if (o.dynamodb !== undefined) throw new BreakwaterConfigError(SOURCE, 'breaker.dynamodb', 'needs breaker.tableName')
    if (!isSharedStore(o.store) && o.localFallbackMs !== undefined) {
      throw new BreakwaterConfigError(SOURCE, 'breaker.localFallbackMs', 'needs a shared store: breaker.tableName, or a store such as DynamoDBBreakerStore')
    }
    // A shared store of the user's (`breakwater/dynamodb`) fails open to local state like the table shorthand (in CircuitBreaker).
    return o.store ?? new MemoryBreakerStore()
  }
  if (o.store !== undefined) throw new BreakwaterConfigError(SOURCE, 'breaker.store', 'cannot be combined with breaker.tableName')
  if (typeof o.tableName !== 'string' || o.tableName.trim() === '') throw new BreakwaterConfigError(SOURCE, 'breaker.tableName', 'must be a table name (is the environment variable set?)')
  const dynamodb: unknown = o.dynamodb === undefined ? {} : o.dynamodb
  if (typeof dynamodb !== 'object' || dynamodb === null || Array.isArray(dynamodb)) throw new BreakwaterConfigError(SOURCE, 'breaker.dynamodb', 'must be an object: { client?, clientConfig?, refreshMs?, flushMs?, operationTimeoutMs? }')
  if (Object.hasOwn(dynamodb, 'tableName') || Object.hasOwn(dynamodb, 'clock')) {
    throw new BreakwaterConfigError(SOURCE, `breaker.dynamodb.${Object.hasOwn(dynamodb, 'tableName') ? 'tableName' : 'clock'}`, 'is set on breaker itself, not under dynamodb')
  }
  const storeOptions: DynamoDBBreakerStoreOptions = { ...dynamodb, tableName: o.tableName, ...(o.clock && { clock: o.clock }) }
  // Checked at init; the store (and the DynamoDB client) loads on first use.
  const { flushMs } = resolveStoreOptions(storeOptions, (name) => (name === 'tableName' ? 'breaker.tableName' : `breaker.dynamodb.${name}`))
  if (flushMs > windowMs / MAX_FLUSH_SHARE_OF_WINDOW) {
    throw new BreakwaterConfigError(SOURCE, 'breaker.dynamodb.flushMs', `must be at most windowMs / ${MAX_FLUSH_SHARE_OF_WINDOW} (${windowMs / MAX_FLUSH_SHARE_OF_WINDOW} ms): successes written later than that make the fleet's failure rate look higher than it is`)
  }
  return new LazyBreakerStore(async () => new (await import('../aws/dynamodb/store.js')).DynamoDBBreakerStore(storeOptions))
}

/** A store other than the in-container one: shared with other instances, so it can fail. */
const isSharedStore = (store: BreakerStore | undefined): store is BreakerStore => store !== undefined && !(store instanceof MemoryBreakerStore)

function resolveFailureClasses(list: readonly FailureClass[] | undefined): ReadonlySet<FailureClass> {
  if (list === undefined) return BREAKER_FAILURE_CLASSES
  if (!Array.isArray(list) || list.length === 0) throw new BreakwaterConfigError(SOURCE, 'breaker.failureClasses', 'must be a non-empty list')
  const bad = list.find((c) => !UPSTREAM_FAILURE_CLASSES.has(c))
  if (bad !== undefined) throw new BreakwaterConfigError(SOURCE, 'breaker.failureClasses', `cannot count "${String(bad)}" (countable: ${[...UPSTREAM_FAILURE_CLASSES].join(', ')})`)
  return new Set(list)
}
