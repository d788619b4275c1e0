/**
 * The adaptive throttle's fleet feed on the breaker table (core/admission/fleet-feed.ts): a throttled container
 * adds its admission counts to the target's window item of the current second (`ADD requests, accepts, throttles`,
 * beside the breaker's `calls, failures`) and reads the window's items back with the breaker's window Query.
 *
 * Cost: the throttle calls `report` only while a target throttles the container, at most once a second per target,
 * so this is one Query, plus one UpdateItem when there is anything to add, per throttled target per container-second
 * (docs/cost-model.md), and nothing at all on the happy path. Both requests share one operation budget (the
 * store's), so an exchange never holds a call up for longer than one store request may.
 */
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { AdmissionCounts, AdmissionFeed, FleetBuckets } from '../../core/admission/fleet-feed.js'
import { admissionCountsOf, bucketExpiry, bucketSk, bucketStart, BUCKET_MS } from './items.js'
import { queryBuckets } from './window.js'
import { MAX_WINDOW_MS } from '../../core/breaker/policy.js'
import { num } from './attributes.js'

/** What the feed shares with its store: the client, the table, the usage counters and the operation budget. */
export interface FeedTable {
  readonly client: DynamoDBClient
  readonly table: string
  /** The store's request counters, which the feed's requests add to. */
  readonly usage: { queries: number; updates: number }
  /** A signal that aborts when the store's operation budget for a request runs out. */
  budget(): AbortSignal
  /** The store's wrapper around every request it sends (it learns from it that the connection is up). */
  answered<T>(request: Promise<T>): Promise<T>
}

/** How many of the store's requests were the feed's (the store's `usage` counts them as well). */
export interface FeedUsage { reports: number; queries: number; updates: number }


export class DynamoDBAdmissionFeed implements AdmissionFeed {
  readonly usage: FeedUsage = { reports: 0, queries: 0, updates: 0 }
  readonly #t: FeedTable

  constructor(table: FeedTable) {
    this.#t = table
  }

  /**
   * Reads the window first, then adds `delta`: a failed read writes nothing, so a rejection always means "not
   * added" and the throttle can keep its counts as unsent. The buckets returned are the ones read plus `delta`.
   */
  async report(key: string, delta: AdmissionCounts, now: number, windowMs: number): Promise<FleetBuckets> {
    this.usage.reports++
    const t = this.#t
    const abortSignal = t.budget()
    const buckets = new Map<number, AdmissionCounts>()
    // The throttle's window is the current second and the seconds − 1 before it; queryBuckets reaches back from
    // the bucket of `now − windowMs`, one more bucket.
    await t.answered(queryBuckets({
      client: t.client, table: t.table, key, now, windowMs: windowMs - BUCKET_MS, sinceMs: 0, abortSignal,
      onQuery: () => { t.usage.queries++; this.usage.queries++ },
    }, (start, item) => { buckets.set(start, admissionCountsOf(item)) }))
    if (delta.requests === 0 && delta.accepts === 0 && delta.throttles === 0) return buckets
    const start = bucketStart(now)
    // The item may be the breaker's too, and the first writer sets its TTL: long enough for any breaker's window.
    t.usage.updates++
    this.usage.updates++
    await t.answered(t.client.send(new UpdateItemCommand({
      TableName: t.table,
      Key: { pk: { S: key }, sk: { S: bucketSk(start) } },
      UpdateExpression: 'ADD requests :requests, accepts :accepts, throttles :throttles SET expiresAt = if_not_exists(expiresAt, :ttl)',
      ExpressionAttributeValues: {
        ':requests': num(delta.requests),
        ':accepts': num(delta.accepts),
        ':throttles': num(delta.throttles),
        ':ttl': num(bucketExpiry(start, MAX_WINDOW_MS)),
      },
    }), { abortSignal }))
    const read = buckets.get(start)
    buckets.set(start, read === undefined ? delta : {
      requests: read.requests + delta.requests, accepts: read.accepts + delta.accepts, throttles: read.throttles + delta.throttles,
    })
    return buckets
  }
}
