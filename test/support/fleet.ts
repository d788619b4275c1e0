/**
 * A simulated Lambda fleet for the shared-breaker tests: N instances, each a `CircuitBreaker` over a
 * `DynamoDBBreakerStore` with a DynamoDB client, cache and clock of its own, all sharing one table. Their clocks are
 * views of one FakeClock, each shifted by an offset (clock skew); time moves only when the test says so, while the
 * requests are real HTTP to the emulator and race for real.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBBreakerStore } from '../../src/aws/dynamodb/store.js'
import { itemToRecord, stateKey } from '../../src/aws/dynamodb/items.js'
import { CircuitBreaker } from '../../src/core/breaker/circuit-breaker.js'
import type { Clock } from '../../src/core/clock.js'
import {
  initialRecord,
  type BreakerEvent, type BreakerPolicy, type BreakerRecord, type BreakerStore, type CompareAndSetResult,
} from '../../src/core/breaker/types.js'
import type { FakeClock } from './fake-clock.js'
import type { TestDynamoDB } from '../../tools/dynamodb-local/dynamodb.js'

export const KEY = 'anthropic.claude-3-haiku-20240307-v1:0@us-east-1'

export interface Instance {
  readonly id: number
  /** This instance's time: the shared FakeClock plus its offset. */
  readonly clock: Clock
  readonly offsetMs: number
  readonly dynamo: DynamoDBBreakerStore
  readonly breaker: CircuitBreaker
}

export interface FleetOptions {
  readonly db: TestDynamoDB
  readonly table: string
  readonly clock: FakeClock
  readonly size: number
  readonly policy: Partial<BreakerPolicy>
  /** Clock offset of instance i, ms. Default 0. */
  readonly offsetMs?: (i: number) => number
  /** Cache and flush intervals of every store. Default: refreshMs 100, flushMs 10 000. */
  readonly refreshMs?: number
  readonly flushMs?: number
  /** Builds each store's client: default a test client (maxAttempts 1). `null`: the store's own default client. */
  readonly client?: ((i: number) => DynamoDBClient) | null
  /** Wraps the DynamoDB store the breaker uses (e.g. in a FallbackBreakerStore). */
  readonly wrap?: (store: BreakerStore, instance: { id: number; clock: Clock }) => BreakerStore
}

export interface Fleet {
  readonly instances: readonly Instance[]
  /** Every breaker event of every instance, in the order they happened, tagged with the instance. */
  readonly events: readonly (BreakerEvent & { readonly instance: number })[]
  /** Every record a compareAndSet wrote (the stored record changes only by these), oldest first. */
  readonly writes: readonly BreakerRecord[]
  /** 'from>to' of every transition written, fleet-wide. */
  transitions(): string[]
  /** The state record as stored, read consistently (not through any cache). */
  stored(): Promise<BreakerRecord>
  /** Runs `act` on every instance at once and waits for all. */
  all<T>(act: (x: Instance) => Promise<T>): Promise<T[]>
}

export function fleet(o: FleetOptions): Fleet {
  const events: (BreakerEvent & { instance: number })[] = []
  const writes: BreakerRecord[] = []
  const reader = o.db.client()
  const instances = Array.from({ length: o.size }, (_, id): Instance => {
    const offsetMs = o.offsetMs?.(id) ?? 0
    const clock: Clock = { now: () => o.clock.now() + offsetMs, sleep: (ms, signal) => o.clock.sleep(ms, signal) }
    const client = o.client === null ? undefined : (o.client?.(id) ?? o.db.client())
    const settings = { tableName: o.table, clock, refreshMs: o.refreshMs ?? 100, flushMs: o.flushMs ?? 10_000 }
    const dynamo = new DynamoDBBreakerStore(client ? { ...settings, client } : { ...settings, clientConfig: o.db.clientConfig })
    const watched = watchWrites(o.wrap ? o.wrap(dynamo, { id, clock }) : dynamo, (r) => writes.push(r))
    let n = 0
    const breaker = new CircuitBreaker({
      store: watched, policy: o.policy, clock, newPermitId: () => `i${id}-p${++n}`,
      listener: (e) => events.push({ ...e, instance: id }),
    })
    return { id, clock, offsetMs, dynamo, breaker }
  })
  return {
    instances,
    events,
    writes,
    transitions: () => events.flatMap((e) => (e.type === 'transition' ? [`${e.from}>${e.to}`] : [])),
    async stored() {
      const { Item } = await reader.send(new GetItemCommand({ TableName: o.table, Key: stateKey(KEY), ConsistentRead: true }))
      return Item ? itemToRecord(Item) : initialRecord()
    },
    all: (act) => Promise.all(instances.map(act)),
  }
}

/** Writes `record` as the first state of KEY (as if a previous instance had written it). */
export async function seed(db: TestDynamoDB, table: string, record: BreakerRecord): Promise<void> {
  const result = await new DynamoDBBreakerStore({ tableName: table, client: db.client() }).compareAndSet(KEY, initialRecord(), record)
  if (!result.ok) throw new Error('seed: the table already holds a record')
}

/** An open record, first opened at `at`, whose cooldown ends at `openUntil`. */
export const openRecord = (at: number, openUntil: number): BreakerRecord =>
  ({ ...initialRecord(), state: 'open', version: 1, changedAt: at, openUntil, opens: 1 })

function watchWrites(store: BreakerStore, onWrite: (r: BreakerRecord) => void): BreakerStore {
  return {
    read: (key, now) => store.read(key, now),
    recordOutcome: (key, outcome, now, windowMs, sinceMs) => store.recordOutcome(key, outcome, now, windowMs, sinceMs),
    async compareAndSet(key, expected, next, change): Promise<CompareAndSetResult> {
      const result = await store.compareAndSet(key, expected, next, change)
      if (result.ok) onWrite(result.record)
      return result
    },
  }
}
