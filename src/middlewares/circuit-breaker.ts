/**
 * circuitBreaker(): one breaker per target, kept in a store (in-container by default; DynamoDB to share it with
 * the fleet). Open targets are skipped without a call; half-open ones admit probes in stages.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import type { DynamoDBBreakerStoreOptions } from '../aws/dynamodb/options.js'
import { LazyBreakerStore } from '../core/breaker/lazy-store.js'
import { breakerListener, type Observability } from '../aws/observability.js'
import { CircuitBreaker } from '../core/breaker/circuit-breaker.js'
import { resolvePolicy } from '../core/breaker/policy.js'
import { fleetPolicy, isSharedStore } from '../core/breaker/fleet.js'
import { MemoryBreakerStore } from '../core/breaker/memory-store.js'
import type { BreakerListener, BreakerPolicy, BreakerStore } from '../core/breaker/types.js'
import { systemClock, type Clock } from '../core/clock.js'
import { AdaptiveThrottle } from '../core/admission/adaptive-throttle.js'
import { lazyQuotaStore } from '../core/admission/lazy-quota-store.js'
import { BREAKER_FAILURE_CLASSES, type FailureClass } from '../core/failure.js'
import { parseOptions } from '../core/config/index.js'
import type { BreakerPart } from '../core/engine/engine.js'
import { CIRCUIT_BREAKER_OPTIONS } from './schema/circuit-breaker.js'
import { joinInvocation } from './stack.js'

const SOURCE = 'breakwater/circuit-breaker'

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
  /**
   * Failure classes that count against a target. Default: unavailable (5xx, reset, broken reply) and timed-out. A
   * throttle (429) does not open the breaker unless `'throttled'` is listed: the quota is spent, the target is not
   * down, and the adaptive throttle sheds the excess instead (see `admission`).
   * @example circuitBreaker({ failureClasses: ['throttled', 'unavailable', 'timed-out'] }) // 429s trip too
   */
  readonly failureClasses?: readonly FailureClass[]
  /**
   * Client-side adaptive throttling (Google SRE's): a target that throttles (429) more than it accepts gets only
   * a share of the calls, `max(0, (requests − k·accepts) / (requests + 1))` of them shed before they are sent and
   * walked on to the next target (or, with none left, answered 503 + Retry-After), over `windowMs`.
   * Default `{ k: 2, windowMs: 5_000 }`: nothing is shed while at most half the calls are throttled, never more than
   * 9 calls in 10, and shedding fades within about 10 s of the quota's return. `false`: off.
   *
   * `fleet` (default true with a shared store: `tableName`, or a `store` that offers an `admissionFeed`): a
   * container a target has throttled in the window judges it by the fleet's counts, kept in the breaker table's
   * window items, so a fleet of quiet containers sheds together what none would alone. Costs one Query and one
   * UpdateItem per throttled target per container-second, nothing while no 429 comes (docs/cost-model.md).
   * `false`: each container counts alone.
   * @example circuitBreaker({ admission: { k: 1.5 } }) // shed sooner
   * @example circuitBreaker({ tableName, admission: { fleet: false } }) // per container, no table traffic
   */
  readonly admission?: false | { readonly k?: number; readonly windowMs?: number; readonly fleet?: boolean }
  /** Time source, for tests and benches. */
  readonly clock?: Clock
}

export function circuitBreaker(options?: CircuitBreakerOptions): MiddlewareObj {
  const part = breakerPart(options)
  const breakwaterCircuitBreakerBefore = (request: Request): void => joinInvocation(request, 'circuitBreaker', part)
  return { name: 'breakwater-circuit-breaker', before: breakwaterCircuitBreakerBefore }
}

/** The breaker's immutable part of an engine: one breaker per container, its cache and store outliving invocations. */
export function breakerPart(options?: CircuitBreakerOptions): BreakerPart {
  const given = parseOptions(CIRCUIT_BREAKER_OPTIONS, options, SOURCE)
  const {
    tableName, dynamodb, localFallbackMs, store, slowCallMs, failureClasses, admission, clock, logger, metrics,
    logErrorMessages, ...policyOptions
  } = given
  // A fleet's breaker gets its own defaults (clock-skew room, a short flat cooldown): core/breaker/fleet.ts.
  const fleetWide = tableName !== undefined || isSharedStore(store)
  const policy = resolvePolicy(fleetWide ? fleetPolicy(policyOptions) : policyOptions, SOURCE)
  const classes = resolveFailureClasses(failureClasses)
  const observability: { -readonly [K in keyof Observability]: Observability[K] } = {}
  if (logger) observability.logger = logger
  if (metrics) observability.metrics = metrics
  observability.logErrorMessages = logErrorMessages === true
  const listener = breakerListener(observability)
  const breakerStore = resolveStore({ tableName, dynamodb, localFallbackMs, store, clock })
  // One breaker per container: its cache and the in-memory store outlive the invocation.
  const breaker = new CircuitBreaker({ store: breakerStore, policy, clock: clock ?? systemClock, listener, localFallbackMs })
  const throttle = throttleOf(admission, fleetWide, breakerStore, listener)
  // Targets' declared quotas are shared through the same table (items q#<minute>); loaded only if a target has one.
  const quotaStore = tableName === undefined ? undefined : lazyQuotaStore(async () => {
    const { DynamoDBQuotaStore } = await import('../aws/dynamodb/quota-store.js')
    return new DynamoDBQuotaStore({
      tableName, client: dynamodb?.client, clientConfig: dynamodb?.clientConfig, operationTimeoutMs: dynamodb?.operationTimeoutMs,
    })
  })
  const quotaStoreError = (error: unknown, key: string, operation: string): void => listener({ type: 'store-error', key, operation, error })
  return Object.freeze({ breaker, failureClasses: classes, slowCallMs, admission: throttle, quotaStore, quotaStoreError })
}


/**
 * The container's adaptive throttle: the share of calls each target throttles, and how many to shed. Fed by the
 * fleet's counts when the breaker's store is shared and offers them; a failing feed is a store error to the listener.
 */
function throttleOf(
  admission: CircuitBreakerOptions['admission'], fleetWide: boolean, store: BreakerStore, listener: BreakerListener,
): AdaptiveThrottle | undefined {
  if (admission === false) return undefined
  const { fleet, ...policy } = admission ?? {}
  const feed = fleetWide && fleet !== false ? store.admissionFeed : undefined
  return new AdaptiveThrottle(policy, {
    feed,
    onFeedError: (key, error) => listener({ type: 'store-error', key, operation: 'admissionFeed', error }),
  })
}

type StoreOptions = Pick<CircuitBreakerOptions, 'tableName' | 'dynamodb' | 'localFallbackMs' | 'store' | 'clock'>

function resolveStore(o: StoreOptions): BreakerStore {
  // A shared store of the user's (`breakwater/dynamodb`) fails open to local state like the table (in CircuitBreaker).
  if (o.tableName === undefined) return o.store ?? new MemoryBreakerStore()
  const dynamodb = o.dynamodb === undefined ? {} : o.dynamodb
  const storeOptions: { -readonly [K in keyof DynamoDBBreakerStoreOptions]: DynamoDBBreakerStoreOptions[K] } = {
    ...dynamodb,
    tableName: o.tableName,
  }
  if (o.clock) storeOptions.clock = o.clock
  // Checked at init (schema/circuit-breaker.ts); the store (and the DynamoDB client) loads on first use.
  return new LazyBreakerStore(async () => new (await import('../aws/dynamodb/store.js')).DynamoDBBreakerStore(storeOptions))
}

function resolveFailureClasses(list: readonly FailureClass[] | undefined): ReadonlySet<FailureClass> {
  return list === undefined ? BREAKER_FAILURE_CLASSES : new Set(list)
}
