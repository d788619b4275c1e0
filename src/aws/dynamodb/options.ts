/**
 * The DynamoDB store's options and their checks, apart from the store itself: the middleware validates them at init
 * without loading the DynamoDB client, which is imported only when the store is first used.
 */
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import type { Clock } from '../../core/clock.js'
import { dict, methods, number, object, parseOptions, required, string } from '../../core/config/index.js'

const SOURCE = 'breakwater/dynamodb-breaker-store'

export interface DynamoDBBreakerStoreOptions {
  /** The breaker table (key schema `pk` S / `sk` S, TTL on `expiresAt`; see README). */
  readonly tableName: string
  /** A client of your own. Default: one built with `clientConfig`, 2 attempts and 300 ms timeouts. */
  readonly client?: DynamoDBClient
  /** Extra config for the default client (region, endpoint, credentials). */
  readonly clientConfig?: DynamoDBClientConfig
  /** How long a read state is trusted on the happy path, ms. Default 10 000. */
  readonly refreshMs?: number
  /** Successes are counted locally and written at most this often (or with the next failure), ms. Default 10 000. */
  readonly flushMs?: number
  /**
   * The most one DynamoDB request may take, attempts and backoff included, ms. Past it the request is aborted and
   * the breaker runs on local state: its store must never hold a user's request up for long. Default 700.
   */
  readonly operationTimeoutMs?: number
  /** Time source for the cache, for tests. Default: the system clock. */
  readonly clock?: Clock
}

export interface ResolvedStoreOptions {
  readonly tableName: string
  readonly refreshMs: number
  readonly flushMs: number
  readonly operationTimeoutMs: number
}

/** An hour: a cache trusted or a flush held longer is no longer a shared breaker. */
const MAX_PERIOD_MS = 3_600_000
/** A store call that may take a minute would hold every user's request up with it. */
const MAX_OPERATION_MS = 60_000

export const DEFAULT_STORE_TUNING = Object.freeze({ refreshMs: 10_000, flushMs: 10_000, operationTimeoutMs: 700 })

const period = (max: number) => number({ above: 0, max, unit: 'ms' })

/** The store's tuning, as data: the store's own options hold it, and so does circuitBreaker()'s `dynamodb`. */
export const STORE_TUNING_FIELDS = {
  client: methods(['send'], { must: 'must be a DynamoDBClient (an object with send())' }),
  clientConfig: dict({ must: 'must be a DynamoDBClient config object' }),
  refreshMs: period(MAX_PERIOD_MS),
  flushMs: period(MAX_PERIOD_MS),
  operationTimeoutMs: period(MAX_OPERATION_MS),
} as const

/** The breaker table's name, however it is given. */
export const TABLE_NAME = string({ minLength: 3, must: 'must be the name of the breaker table (3 characters or more)' })

const STORE_OPTIONS = object({
  tableName: required(TABLE_NAME, 'is required: the name of the breaker table'),
  ...STORE_TUNING_FIELDS,
  clock: methods(['now'], { must: 'must be a clock with now()' }),
}, { label: 'a DynamoDB store', source: SOURCE })

/** Checks the store's options (named bare: `refreshMs`) and fills in the defaults. */
export function resolveStoreOptions(options: DynamoDBBreakerStoreOptions): ResolvedStoreOptions {
  // No options at all is a missing table name, the one thing the store cannot do without.
  const o = parseOptions(STORE_OPTIONS, options ?? {}, SOURCE)
  const { refreshMs, flushMs, operationTimeoutMs } = { ...DEFAULT_STORE_TUNING, ...o }
  return { tableName: o.tableName, refreshMs, flushMs, operationTimeoutMs }
}
