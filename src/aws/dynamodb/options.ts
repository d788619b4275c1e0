/**
 * The DynamoDB store's options and their checks, apart from the store itself: the middleware validates them at init
 * without loading the DynamoDB client, which is imported only when the store is first used.
 */
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import type { Clock } from '../../core/clock.js'
import { BreakwaterConfigError } from '../../core/errors.js'

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

const KEYS: readonly string[] = ['tableName', 'client', 'clientConfig', 'refreshMs', 'flushMs', 'operationTimeoutMs', 'clock']
/** An hour: a cache trusted or a flush held longer is no longer a shared breaker. */
const MAX_PERIOD_MS = 3_600_000
/** A store call that may take a minute would hold every user's request up with it. */
const MAX_OPERATION_MS = 60_000

/**
 * Checks the store's options and fills in the defaults. `field` names an option in errors: bare for the store built
 * by hand, `breaker.dynamodb.<name>` (`breaker.tableName`) when circuitBreaker() builds it.
 */
export function resolveStoreOptions(
  options: DynamoDBBreakerStoreOptions,
  field: (name: string) => string = (n) => n,
): ResolvedStoreOptions {
  const given: unknown = options
  if (given === undefined || given === null) {
    throw new BreakwaterConfigError(SOURCE, field('tableName'), 'is required: the name of the breaker table')
  }
  if (typeof given !== 'object' || Array.isArray(given)) throw new BreakwaterConfigError(SOURCE, field('options'), 'must be an object')
  for (const key of Object.keys(given)) {
    if (!KEYS.includes(key)) {
      const known = KEYS.filter((k) => k !== 'tableName').join(', ')
      throw new BreakwaterConfigError(SOURCE, field(key), `is not a DynamoDB store option (known: ${known})`)
    }
  }
  if (typeof options.tableName !== 'string' || options.tableName.trim().length < 3) {
    throw new BreakwaterConfigError(SOURCE, field('tableName'), 'must be the name of the breaker table (3 characters or more)')
  }
  const { client, clientConfig, clock } = options as { client?: unknown; clientConfig?: unknown; clock?: unknown }
  if (client !== undefined && !hasMethod(client, 'send')) {
    throw new BreakwaterConfigError(SOURCE, field('client'), 'must be a DynamoDBClient')
  }
  if (clientConfig !== undefined && (typeof clientConfig !== 'object' || clientConfig === null || Array.isArray(clientConfig))) {
    throw new BreakwaterConfigError(SOURCE, field('clientConfig'), 'must be a DynamoDBClient config object')
  }
  if (clock !== undefined && !hasMethod(clock, 'now')) {
    throw new BreakwaterConfigError(SOURCE, field('clock'), 'must be a clock with now()')
  }
  return {
    tableName: options.tableName,
    refreshMs: positive(field('refreshMs'), options.refreshMs, 10_000, MAX_PERIOD_MS),
    flushMs: positive(field('flushMs'), options.flushMs, 10_000, MAX_PERIOD_MS),
    operationTimeoutMs: positive(field('operationTimeoutMs'), options.operationTimeoutMs, 700, MAX_OPERATION_MS),
  }
}

function positive(field: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value > 0) || !(value <= max)) {
    throw new BreakwaterConfigError(SOURCE, field, `must be a positive number of ms, at most ${max}`)
  }
  return value
}

const hasMethod = (value: unknown, name: string): boolean =>
  typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[name] === 'function'
