/**
 * circuitBreaker()'s options, as data: the policy fields (core/breaker/policy.ts), where state lives (a table, a
 * store of your own, or this container) and the store's tuning, with the rules that tie them together.
 */
import { DEFAULT_STORE_TUNING, STORE_TUNING_FIELDS, TABLE_NAME } from '../../aws/dynamodb/options.js'
import { boolean, defined, list, literal, methods, never, number, object, oneOf, type Refine } from '../../core/config/index.js'
import { isSharedStore } from '../../core/breaker/fleet.js'
import { BREAKER_POLICY_FIELDS, cooldownFitsCap } from '../../core/breaker/policy.js'
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy } from '../../core/breaker/types.js'
import { UPSTREAM_FAILURE_CLASSES } from '../../core/failure.js'
import { CLOCK, OBSERVABILITY } from './shared.js'

export const BREAKER_SOURCE = 'breakwater/circuit-breaker'

/** Successes reach the fleet's window up to flushMs late; past a sixth of the window they skew the rate upward. */
const MAX_FLUSH_SHARE_OF_WINDOW = 6
const ON_BREAKER = 'is set on breaker itself, not under dynamodb'

const DYNAMODB = object({ ...STORE_TUNING_FIELDS, tableName: never(ON_BREAKER), clock: never(ON_BREAKER) }, {
  label: 'a DynamoDB store',
  must: 'must be an object: { client?, clientConfig?, refreshMs?, flushMs?, operationTimeoutMs? }',
})

interface BreakerValues extends Partial<BreakerPolicy> {
  readonly tableName?: string
  readonly dynamodb?: { readonly flushMs?: number }
  readonly localFallbackMs?: number
  readonly store?: object
}

const oneStore: Refine<BreakerValues> = (o) =>
  (o.tableName !== undefined && o.store !== undefined ? { at: 'store', problem: 'cannot be combined with breaker.tableName' } : undefined)

const dynamodbNeedsTable: Refine<BreakerValues> = (o) =>
  (o.tableName === undefined && o.dynamodb !== undefined ? { at: 'dynamodb', problem: 'needs breaker.tableName' } : undefined)

const localFallbackNeedsSharedStore: Refine<BreakerValues> = (o) =>
  (o.localFallbackMs !== undefined && o.tableName === undefined && !isSharedStore(o.store)
    ? { at: 'localFallbackMs', problem: 'needs a shared store: breaker.tableName, or a store such as DynamoDBBreakerStore' }
    : undefined)

const flushWithinWindow: Refine<BreakerValues> = (o) => {
  if (o.tableName === undefined) return undefined
  const most = (o.windowMs ?? DEFAULT_BREAKER_POLICY.windowMs) / MAX_FLUSH_SHARE_OF_WINDOW
  if ((o.dynamodb?.flushMs ?? DEFAULT_STORE_TUNING.flushMs) <= most) return undefined
  return {
    at: 'dynamodb.flushMs',
    problem:
      `must be at most windowMs / ${MAX_FLUSH_SHARE_OF_WINDOW} (${most} ms): successes written later than that make the fleet's failure rate look higher than it is`,
  }
}

const COUNTABLE = [...UPSTREAM_FAILURE_CLASSES]

export const CIRCUIT_BREAKER_OPTIONS = object({
  ...BREAKER_POLICY_FIELDS,
  // `tableName: process.env.BREAKER_TABLE` with the variable unset must not quietly become a per-container breaker.
  tableName: defined(TABLE_NAME, 'is undefined (is the environment variable set?)'),
  dynamodb: DYNAMODB,
  localFallbackMs: number({ above: 0, unit: 'ms' }),
  store: methods(['read', 'recordOutcome', 'compareAndSet']),
  slowCallMs: number({ above: 0, unit: 'ms' }),
  failureClasses: list(literal(...COUNTABLE), {
    minLength: 1,
    flat: true,
    must: `must be a non-empty list of countable failure classes (${COUNTABLE.join(', ')})`,
  }),
  admission: oneOf([literal(false), object({
    k: number({ min: 1, max: 100 }),
    windowMs: number({ step: 1_000, min: 1_000, max: 600_000, unit: 'ms', why: 'it counts per second' }),
    fleet: boolean(),
  }, { label: 'the adaptive throttle' })], { must: 'must be false (no shedding) or { k?, windowMs?, fleet? }' }),
  clock: CLOCK,
  ...OBSERVABILITY,
}, {
  source: BREAKER_SOURCE,
  label: 'a breaker',
  root: { prefix: 'breaker', except: ['store', 'clock', 'logger', 'metrics'] },
  refine: [cooldownFitsCap, dynamodbNeedsTable, localFallbackNeedsSharedStore, oneStore, flushWithinWindow],
})
