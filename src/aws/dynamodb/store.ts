/**
 * DynamoDBBreakerStore: breaker state shared by every Lambda instance. Every state change is a conditional write on
 * `version`, so of many instances racing for one transition exactly one lands and the others learn the winner's
 * record from the failed condition. The happy path is served from a per-container cache, and successes are
 * counted locally and flushed rarely, so a healthy instance almost never calls DynamoDB (cost model: README).
 */
import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand,
  type DynamoDBClientConfig, type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb'
import { systemClock, type Clock } from '../../core/clock.js'
import { applyProbeChange } from '../../core/breaker/probe-change.js'
import {
  initialRecord, type BreakerRecord, type BreakerStore, type CompareAndSetResult, type ProbeChange, type WindowCounts,
} from '../../core/breaker/types.js'
import { bucketExpiry, bucketSk, bucketStart, itemToRecord, recordToItem, stateKey } from './items.js'
import { resolveStoreOptions, type DynamoDBBreakerStoreOptions } from './options.js'
import { probeUpdate } from './probe-update.js'
import { queryWindow } from './window.js'
import { DynamoDBAdmissionFeed } from './admission-feed.js'

export type { DynamoDBBreakerStoreOptions }



/** How many DynamoDB requests this store made, by kind: what the cost bench reads. */
export interface StoreUsage { gets: number; queries: number; puts: number; updates: number }

interface Cached { readonly record: BreakerRecord; readonly fetchedAt: number }
interface Local {
  /** Successes not yet written, and when the oldest of them happened. */
  pending: number
  pendingSince: number
  /** This instance's consecutive failures (the fleet-wide signal is the rate) and the sinceMs it counts from. */
  streak: number
  since: number
  /** The state was just refreshed: write pending successes in the same invocation, so the two share one. */
  flushDue: boolean
}

/**
 * Short timeouts and two attempts: the breaker must never hold a request up for long because its store is slow.
 * `throwOnRequestTimeout`: without it the handler only logs a warning when requestTimeout passes, and a table that
 * accepts the connection but never answers would hold the request until the Lambda timeout.
 */
const DEFAULT_CLIENT: DynamoDBClientConfig = {
  maxAttempts: 2,
  requestHandler: { requestTimeout: 300, connectionTimeout: 300, throwOnRequestTimeout: true },
}
/**
 * A half-open state changes with every probe: trusted this long at most, so the next stage's permits and the close
 * are seen quickly. A ramp lasts seconds, so four reads a second per container while it runs cost little, where
 * a second's staleness per stage held the 1 → 5 → 10 ramp to about a stage a second.
 */
const HALF_OPEN_REFRESH_MS = 250
/**
 * The budget of a container's requests until one has succeeded: the first sets up the connection (DNS, TCP, TLS,
 * credentials), which on a host where 20 containers start at once took most of the 700 ms budget, so 18 of 20
 * first reads were aborted and their containers ran on local state just when the fleet's limits mattered.
 */
const FIRST_OPERATION_MS = 3_000

export class DynamoDBBreakerStore implements BreakerStore {
  readonly usage: StoreUsage = { gets: 0, queries: 0, puts: 0, updates: 0 }
  readonly #table: string
  readonly #client: DynamoDBClient
  readonly #refreshMs: number
  readonly #flushMs: number
  readonly #cache = new Map<string, Cached>()
  readonly #local = new Map<string, Local>()
  readonly #clock: Clock
  readonly #operationTimeoutMs: number
  /** No request has ended yet: the connection is still to be made (FIRST_OPERATION_MS). */
  #cold = true
  /** The adaptive throttle's fleet counts, on this table with this client and budget (admission-feed.ts). */
  readonly admissionFeed: DynamoDBAdmissionFeed

  constructor(options: DynamoDBBreakerStoreOptions) {
    const resolved = resolveStoreOptions(options)
    this.#table = resolved.tableName
    this.#client = options.client ?? new DynamoDBClient({ ...DEFAULT_CLIENT, ...options.clientConfig })
    this.#refreshMs = resolved.refreshMs
    this.#flushMs = resolved.flushMs
    this.#clock = options.clock ?? systemClock
    this.#operationTimeoutMs = resolved.operationTimeoutMs
    this.admissionFeed = new DynamoDBAdmissionFeed({
      client: this.#client, table: this.#table, usage: this.usage, budget: () => this.#budget(), answered: (r) => this.#answered(r),
    })
  }

  async read(key: string, now: number): Promise<BreakerRecord> {
    const cached = this.#cache.get(key)
    if (cached && this.#fresh(cached, now)) return cached.record
    const record = await this.#fetch(key, now, false)
    const local = this.#local.get(key)
    if (local && local.pending > 0) local.flushDue = true
    return record
  }

  peek(key: string, now: number): BreakerRecord | undefined {
    const cached = this.#cache.get(key)
    return cached && this.#fresh(cached, now) ? cached.record : undefined
  }

  /** Closed: trusted for refreshMs. Open: until it may go half-open. Half-open: briefly, it changes with each probe. */
  #fresh(cached: Cached, now: number): boolean {
    const age = now - cached.fetchedAt
    const { state, openUntil } = cached.record
    if (state === 'closed') return age < this.#refreshMs
    if (state === 'open' && now < openUntil) return true
    return age < Math.min(this.#refreshMs, HALF_OPEN_REFRESH_MS)
  }

  async compareAndSet(key: string, expected: BreakerRecord, next: BreakerRecord, change?: ProbeChange): Promise<CompareAndSetResult> {
    if (change !== undefined) return this.#applyChange(key, change)
    const now = this.#clock.now()
    try {
      this.usage.puts++
      const put: PutItemCommandInput = {
        TableName: this.#table,
        Item: recordToItem(key, next),
        // Version 0 is a record never written: only "no item yet" matches it.
        ConditionExpression: expected.version === 0 ? 'attribute_not_exists(pk) OR attribute_not_exists(version)' : 'version = :expected',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }
      if (expected.version !== 0) put.ExpressionAttributeValues = { ':expected': { N: String(expected.version) } }
      await this.#answered(this.#client.send(new PutItemCommand(put), { abortSignal: this.#budget() }))
      this.#cache.set(key, { record: next, fetchedAt: now })
      return { ok: true, record: next }
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error
      // Where the endpoint returns the item that failed the condition, that is the winner's record; else read it.
      const record = error.Item ? itemToRecord(error.Item) : await this.#fetch(key, now, true)
      this.#cache.set(key, { record, fetchedAt: now })
      return { ok: false, record }
    }
  }

  /**
   * A probe change as one UpdateItem conditioned on what it needs, not the version (probe-update.ts). If the
   * condition fails where the record it returns would take the change, the item predates `slotsTaken`: the change
   * is written over that record by compare-and-set.
   */
  async #applyChange(key: string, change: ProbeChange): Promise<CompareAndSetResult> {
    const now = this.#clock.now()
    try {
      this.usage.updates++
      const out = await this.#answered(this.#client.send(new UpdateItemCommand(probeUpdate(this.#table, key, change)), {
        abortSignal: this.#budget(),
      }))
      const record = out.Attributes ? itemToRecord(out.Attributes) : await this.#fetch(key, now, true)
      this.#cache.set(key, { record, fetchedAt: now })
      return { ok: true, record }
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error
      const record = error.Item ? itemToRecord(error.Item) : await this.#fetch(key, now, true)
      this.#cache.set(key, { record, fetchedAt: now })
      const applied = applyProbeChange(record, change)
      return applied === undefined ? { ok: false, record } : this.compareAndSet(key, record, applied)
    }
  }

  async recordOutcome(key: string, outcome: 'success' | 'failure', now: number, windowMs: number, sinceMs: number): Promise<WindowCounts> {
    const local = this.#localFor(key, sinceMs)
    if (outcome === 'success') {
      local.streak = 0
      if (local.pending === 0) local.pendingSince = now
      local.pending++
      if (local.flushDue || now - local.pendingSince >= this.#flushMs) await this.#add(key, now, windowMs, 0)
      // Successes never trip anything: the breaker reads counts only on a failure.
      return { calls: 0, failures: 0, consecutiveFailures: 0 }
    }
    local.streak++
    await this.#add(key, now, windowMs, 1)
    const counts = await this.#answered(queryWindow({
      client: this.#client, table: this.#table, key, now, windowMs, sinceMs,
      onQuery: () => { this.usage.queries++ },
      abortSignal: this.#budget(),
    }))
    // A failing target may have been opened by another instance: read the state afresh at the next admission
    // rather than calling it again on a cached "closed" (one GetItem per failure, and only while it fails).
    this.#cache.delete(key)
    return { ...counts, consecutiveFailures: local.streak }
  }

  /** Adds this instance's pending successes (and `failures`) to the current bucket in one atomic ADD. */
  async #add(key: string, now: number, windowMs: number, failures: number): Promise<void> {
    const local = this.#local.get(key) as Local
    // Taken off before the write, so a concurrent flush (parallel calls in one handler) cannot write them again;
    // given back if the write fails. Successes counted while it is in flight stay pending for the next one.
    const successes = local.pending
    local.pending = 0
    local.pendingSince = now
    local.flushDue = false
    const start = bucketStart(now)
    this.usage.updates++
    try {
      await this.#answered(this.#client.send(new UpdateItemCommand({
        TableName: this.#table,
        Key: { pk: { S: key }, sk: { S: bucketSk(start) } },
        UpdateExpression: 'ADD calls :calls, failures :failures SET expiresAt = if_not_exists(expiresAt, :ttl)',
        ExpressionAttributeValues: {
          ':calls': { N: String(successes + failures) },
          ':failures': { N: String(failures) },
          ':ttl': { N: String(bucketExpiry(start, windowMs)) },
        },
      }), { abortSignal: this.#budget() }))
    } catch (error) {
      local.pending += successes
      throw error
    }
  }

  async #fetch(key: string, now: number, consistent: boolean): Promise<BreakerRecord> {
    this.usage.gets++
    const get = new GetItemCommand({ TableName: this.#table, Key: stateKey(key), ConsistentRead: consistent })
    const out = await this.#answered(this.#client.send(get, { abortSignal: this.#budget() }))
    const record = out.Item ? itemToRecord(out.Item) : initialRecord()
    this.#cache.set(key, { record, fetchedAt: now })
    return record
  }

  /**
   * The container's first request has its own budget, whatever it ends in: after it the connection is up, or the
   * table is not answering, and a table that does not answer must not hold each request for the longer budget.
   */
  async #answered<T>(request: Promise<T>): Promise<T> {
    try {
      return await request
    } finally {
      this.#cold = false
    }
  }

  #budget(): AbortSignal {
    return AbortSignal.timeout(this.#cold ? Math.max(this.#operationTimeoutMs, FIRST_OPERATION_MS) : this.#operationTimeoutMs)
  }

  #localFor(key: string, sinceMs: number): Local {
    let local = this.#local.get(key)
    if (!local) {
      local = { pending: 0, pendingSince: 0, streak: 0, since: sinceMs, flushDue: false }
      this.#local.set(key, local)
    }
    // A newer state starts the streak over (see BreakerStore.recordOutcome); pending successes stay: they happened.
    if (sinceMs > local.since) {
      local.since = sinceMs
      local.streak = 0
    }
    return local
  }
}
