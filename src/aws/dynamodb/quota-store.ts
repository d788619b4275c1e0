/**
 * DynamoDBQuotaStore: the fleet's per-minute budget of each target with a declared quota, in the breaker table
 * (items `q#<minute>` in the target's partition; see items.ts). A take is one conditional `ADD`: it lands only if
 * the minute's grants stay within the limit; when the condition fails, the item as it was comes back with the
 * failure (`ReturnValuesOnConditionCheckFailure`) and the take asks for the rest of the minute instead, so racing
 * containers share the last of a minute without a read. A give back is an unconditional `ADD` of the negative.
 * The lease book calls this per block, never per request (core/admission/quota-book.ts).
 */
import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand,
  type AttributeValue, type DynamoDBClientConfig, type GetItemCommandOutput,
} from '@aws-sdk/client-dynamodb'
import { grantable, NOTHING, type Amount, type QuotaLimit, type QuotaStore } from '../../core/admission/quota.js'
import { quotaExpiry, quotaKey, quotaUsed } from './items.js'

export interface DynamoDBQuotaStoreOptions {
  /** The breaker table (key schema `pk` S / `sk` S, TTL on `expiresAt`). */
  readonly tableName: string
  /** A client of your own. Default: one built with `clientConfig`, 2 attempts and 300 ms timeouts. */
  readonly client?: DynamoDBClient | undefined
  readonly clientConfig?: DynamoDBClientConfig | undefined
  /** The most one request may take, ms; past it the take fails and the book runs on local limits. Default 700. */
  readonly operationTimeoutMs?: number | undefined
}

/** How many DynamoDB requests this store made, by kind: what the cost bench reads. */
export interface QuotaStoreUsage { takes: number; conditionFailures: number; gives: number; reads: number }

const DEFAULT_CLIENT: DynamoDBClientConfig = {
  maxAttempts: 2,
  requestHandler: { requestTimeout: 300, connectionTimeout: 300, throwOnRequestTimeout: true },
}
const DEFAULT_OPERATION_MS = 700
/** The first request sets up the connection: it gets a budget of its own (see store.ts). */
const FIRST_OPERATION_MS = 3_000
/**
 * Conditional tries per take. Each failed one returns the item, and each means another container's take landed,
 * so the fleet progresses; past this many the take grants nothing (the book asks again a second later).
 */
const MAX_TRIES = 4

const DIMENSIONS = [['requests', '#r', ':r', ':rmax'], ['tokens', '#t', ':t', ':tmax']] as const

export class DynamoDBQuotaStore implements QuotaStore {
  readonly usage: QuotaStoreUsage = { takes: 0, conditionFailures: 0, gives: 0, reads: 0 }
  readonly #table: string
  readonly #client: DynamoDBClient
  readonly #operationTimeoutMs: number
  #cold = true

  constructor(options: DynamoDBQuotaStoreOptions) {
    this.#table = options.tableName
    this.#client = options.client ?? new DynamoDBClient({ ...DEFAULT_CLIENT, ...options.clientConfig })
    this.#operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_MS
  }

  async take(key: string, minute: number, want: Amount, limit: QuotaLimit): Promise<Amount> {
    let ask = want
    for (let i = 0; i < MAX_TRIES; i++) {
      const values: Record<string, AttributeValue> = { ':ttl': { N: String(quotaExpiry(minute)) } }
      const names: Record<string, string> = {}
      const adds: string[] = []
      const conditions: string[] = []
      for (const [dim, name, add, max] of DIMENSIONS) {
        const cap = limit[dim]
        if (cap === undefined || ask[dim] <= 0) continue
        names[name] = dim
        values[add] = { N: String(ask[dim]) }
        values[max] = { N: String(cap - ask[dim]) }
        adds.push(`${name} ${add}`)
        conditions.push(`(attribute_not_exists(${name}) OR ${name} <= ${max})`)
      }
      if (adds.length === 0) return NOTHING
      this.usage.takes++
      try {
        await this.#send(new UpdateItemCommand({
          TableName: this.#table,
          Key: quotaKey(key, minute),
          UpdateExpression: `ADD ${adds.join(', ')} SET expiresAt = if_not_exists(expiresAt, :ttl)`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }))
        return { requests: limit.requests === undefined ? 0 : ask.requests, tokens: limit.tokens === undefined ? 0 : ask.tokens }
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error
        this.usage.conditionFailures++
        // What was used when the condition failed: the rest of the minute is what this take can still have.
        const used = error.Item ? quotaUsed(error.Item) : await this.#read(key, minute)
        ask = grantable(ask, used, limit)
      }
    }
    return NOTHING
  }

  async give(key: string, minute: number, amount: Amount): Promise<void> {
    const values: Record<string, AttributeValue> = {}
    const names: Record<string, string> = {}
    const adds: string[] = []
    for (const [dim, name, add] of DIMENSIONS) {
      if (amount[dim] <= 0) continue
      names[name] = dim
      values[add] = { N: String(-amount[dim]) }
      adds.push(`${name} ${add}`)
    }
    if (adds.length === 0) return
    this.usage.gives++
    await this.#send(new UpdateItemCommand({
      TableName: this.#table,
      Key: quotaKey(key, minute),
      UpdateExpression: `ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }))
  }

  /** Where the endpoint does not return the old item with a failed condition: read it (strongly). */
  async #read(key: string, minute: number): Promise<Amount> {
    this.usage.reads++
    const get = new GetItemCommand({ TableName: this.#table, Key: quotaKey(key, minute), ConsistentRead: true })
    const out = await this.#send<GetItemCommandOutput>(get)
    return out.Item ? quotaUsed(out.Item) : NOTHING
  }

  async #send<T>(command: UpdateItemCommand | GetItemCommand): Promise<T> {
    const ms = this.#cold ? Math.max(this.#operationTimeoutMs, FIRST_OPERATION_MS) : this.#operationTimeoutMs
    try {
      return await (this.#client.send(command as never, { abortSignal: AbortSignal.timeout(ms) }) as Promise<T>)
    } finally {
      this.#cold = false
    }
  }
}
