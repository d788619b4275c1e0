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

export function resolveStoreOptions(options: DynamoDBBreakerStoreOptions): ResolvedStoreOptions {
  if (typeof options?.tableName !== 'string' || options.tableName.length < 3) {
    throw new BreakwaterConfigError(SOURCE, 'tableName', 'must be the name of the breaker table')
  }
  return {
    tableName: options.tableName,
    refreshMs: positive('refreshMs', options.refreshMs, 10_000),
    flushMs: positive('flushMs', options.flushMs, 10_000),
    operationTimeoutMs: positive('operationTimeoutMs', options.operationTimeoutMs, 700),
  }
}

function positive(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new BreakwaterConfigError(SOURCE, field, 'must be a positive number of ms')
  return value
}
