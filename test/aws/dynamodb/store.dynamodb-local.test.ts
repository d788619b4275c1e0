/**
 * DynamoDBBreakerStore on the real DynamoDB wire protocol: AWS's DynamoDB Local (dynalite where Java is missing), or
 * the server named by BREAKWATER_DYNAMODB_ENDPOINT (see tools/dynamodb-local/dynamodb.ts). Each test gets a table of its own.
 */
import { describe, expect, it } from '@jest/globals'
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb'
import { recordToItem } from '../../../src/aws/dynamodb/items.js'
import { DynamoDBBreakerStore } from '../../../src/aws/dynamodb/store.js'
import { initialRecord, type BreakerRecord } from '../../../src/core/breaker/types.js'
import type { TestDynamoDB } from '../../../tools/dynamodb-local/dynamodb.js'
import { probeChangeContract } from '../../core/breaker/store-contract.js'
import { useTable } from '../../support/dynamodb-table.js'
import type { FakeClock } from '../../support/fake-clock.js'

const T0 = 1_700_000_000_250
const KEY = 'anthropic.claude-3-haiku@us-east-1'
const WINDOW = 10_000

let db!: TestDynamoDB
let table!: string
let clock!: FakeClock
useTable(T0, (f) => ({ db, table, clock } = f))
/** A store as one Lambda instance would have it: its own client, its own cache. */
const instance = (o: { flushMs?: number; refreshMs?: number } = {}) =>
  new DynamoDBBreakerStore({ tableName: table, client: db.client(), clock, ...o })

const halfOpen: BreakerRecord = {
  state: 'half-open', version: 3, changedAt: T0, openUntil: T0 - 1, opens: 2, stage: 1, stageSuccesses: 2,
  permits: [{ id: 'a', expiresAt: T0 + 30_000 }, { id: 'b', expiresAt: T0 + 31_000 }],
}

describe('state item', () => {
  it('round-trips a record with permits, and a key never written reads as a fresh closed record', async () => {
    expect(await instance().compareAndSet(KEY, initialRecord(), halfOpen)).toEqual({ ok: true, record: halfOpen })
    expect(await instance().read(KEY, T0)).toEqual(halfOpen)
    expect(await instance().read('never-written@us-east-1', T0)).toEqual(initialRecord())
    const { Item } = await db.client().send(new GetItemCommand({ TableName: table, Key: { pk: { S: KEY }, sk: { S: 'state' } } }))
    expect(Item).toMatchObject({
      state: { S: 'half-open' }, version: { N: '3' }, slotsTaken: { N: '4' },
      permits: { M: { a: { N: String(T0 + 30_000) }, b: { N: String(T0 + 31_000) } } },
    })
  })

  it('of 20 instances racing to write the first record, exactly one wins and the others get its record back', async () => {
    const stores = Array.from({ length: 20 }, () => instance())
    const results = await Promise.all(stores.map((s, i) =>
      s.compareAndSet(KEY, initialRecord(), { ...initialRecord(), state: 'open', version: 1, changedAt: T0 + i })))
    const winners = results.filter((r) => r.ok)
    expect(winners).toHaveLength(1)
    const winner = winners[0]?.record
    expect(results.filter((r) => !r.ok).map((r) => r.record)).toEqual(Array(19).fill(winner))
    // DynamoDB Local, like DynamoDB, returns the winner's item with the failed condition (ReturnValuesOnConditionCheckFailure):
    // no loser reads it. (dynalite does not: there each loser makes one consistent GetItem.)
    if (db.server.kind === 'dynamodb-local') expect(stores.map((s) => s.usage.gets)).toEqual(Array(20).fill(0))
    // Each loser's cache now holds the winner's record: no read needed to act on it.
    for (const s of stores) expect(await s.read(KEY, T0)).toEqual(winner)
  })

  it('of instances racing from the same version, one wins; a writer with a stale version is rejected', async () => {
    const seed = instance()
    const v1: BreakerRecord = { ...initialRecord(), state: 'open', version: 1, changedAt: T0, openUntil: T0 + 5_000, opens: 1 }
    await seed.compareAndSet(KEY, initialRecord(), v1)
    const racers = Array.from({ length: 10 }, () => instance())
    const results = await Promise.all(racers.map((s, i) =>
      s.compareAndSet(KEY, v1, { ...v1, version: 2, state: 'half-open', changedAt: T0 + i })))
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    const stored = await instance().read(KEY, T0)
    expect(stored.version).toBe(2)
    // `seed` still believes v1: its write of a closed record must not land.
    const stale = await seed.compareAndSet(KEY, v1, { ...initialRecord(), version: 2 })
    expect(stale).toEqual({ ok: false, record: stored })
    expect(await seed.compareAndSet(KEY, initialRecord(), { ...initialRecord(), version: 1 })).toEqual({ ok: false, record: stored })
    expect(await instance().read(KEY, T0)).toEqual(stored)
  })
})

describe('window items', () => {
  it('are per-second ADD counters carrying the TTL attribute (epoch seconds, past the window)', async () => {
    const s = instance({ flushMs: 1_000 })
    await s.recordOutcome(KEY, 'success', T0, WINDOW, 0)
    await s.recordOutcome(KEY, 'failure', T0 + 100, WINDOW, 0)
    const { Items } = await db.client().send(new QueryCommand({
      TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: KEY } }, ConsistentRead: true,
    }))
    const second = T0 - (T0 % 1000)
    expect(Items).toEqual([{
      pk: { S: KEY }, sk: { S: `w#${String(second).padStart(15, '0')}` }, calls: { N: '2' }, failures: { N: '1' },
      expiresAt: { N: String(Math.ceil((second + 1_000 + WINDOW) / 1000) + 300) },
    }])
    const ttl = Number(Items?.[0]?.expiresAt?.N)
    expect(ttl * 1000).toBeGreaterThan(T0 + WINDOW)
    expect(ttl).toBeLessThan(T0 / 1000 + 3600) // seconds, not milliseconds
  })

  it('sum the outcomes of every instance (each with its own cache), over the window only', async () => {
    const fleet = Array.from({ length: 10 }, () => instance({ flushMs: 1_000 }))
    await Promise.all(fleet.map(async (s) => {
      await s.recordOutcome(KEY, 'success', T0, WINDOW, 0)
      await s.recordOutcome(KEY, 'success', T0 + 10, WINDOW, 0)
      await s.recordOutcome(KEY, 'failure', T0 + 1_000, WINDOW, 0)
    }))
    expect(await instance().recordOutcome(KEY, 'failure', T0 + 2_000, WINDOW, 0))
      .toEqual({ calls: 31, failures: 11, consecutiveFailures: 1 })
    // 10 s on, the window still reaches back to them; 2 s after that they have slid out of it.
    expect(await instance().recordOutcome(KEY, 'failure', T0 + WINDOW + 1_000, WINDOW, 0))
      .toEqual({ calls: 32, failures: 12, consecutiveFailures: 1 })
    expect(await instance().recordOutcome(KEY, 'failure', T0 + WINDOW + 3_000, WINDOW, 0))
      .toEqual({ calls: 2, failures: 2, consecutiveFailures: 1 })
  })

  it('count from the first whole second after sinceMs (a state change starts the window over)', async () => {
    const s = instance()
    for (let i = 0; i < 3; i++) await s.recordOutcome(KEY, 'failure', T0 + i * 1_000, WINDOW, 0)
    const since = T0 + 1_000 // its second (and anything before it) no longer counts
    expect(await instance().recordOutcome(KEY, 'failure', T0 + 3_000, WINDOW, since))
      .toEqual({ calls: 2, failures: 2, consecutiveFailures: 1 })
  })

  it('a failure in the same second as sinceMs (or before it, by a clock behind) counts in the streak, not thrown', async () => {
    // A reversed BETWEEN would be a ValidationException here: the store must not send one.
    await expect(instance().recordOutcome(KEY, 'failure', T0 + 300, WINDOW, T0))
      .resolves.toEqual({ calls: 0, failures: 0, consecutiveFailures: 1 })
    await expect(instance().recordOutcome(KEY, 'failure', T0, WINDOW, T0 + 1_800))
      .resolves.toEqual({ calls: 0, failures: 0, consecutiveFailures: 1 })
  })
})

// Probe changes as UpdateItems on the real protocol: the same cases as the in-container stores.
probeChangeContract('DynamoDBBreakerStore', async (n) => ({ stores: Array.from({ length: n }, () => instance()), now: clock.now() }))

describe('probe changes', () => {
  it('on an item an earlier build wrote (permits as a list, no slotsTaken), a take lands by compare-and-set', async () => {
    const permits = { L: [{ M: { id: { S: 'old' }, expiresAt: { N: String(T0 + 30_000) } } }] }
    const { slotsTaken: _, ...item } = recordToItem(KEY, halfOpen)
    await db.client().send(new PutItemCommand({ TableName: table, Item: { ...item, permits } }))
    const s = instance()
    const stored = await s.read(KEY, T0)
    expect(stored.permits).toEqual([{ id: 'old', expiresAt: T0 + 30_000 }])
    const next = { ...stored, version: stored.version + 1, permits: [...stored.permits, { id: 'new', expiresAt: T0 + 30_001 }] }
    const change = { kind: 'take', permit: { id: 'new', expiresAt: T0 + 30_001 }, changedAt: T0, opens: 2, stage: 1, stageSize: 5 } as const
    const result = await s.compareAndSet(KEY, stored, next, change)
    expect(result).toEqual({ ok: true, record: next })
    expect(s.usage).toMatchObject({ updates: 1, puts: 1 })
    expect(await instance().read(KEY, T0)).toEqual(next)
  })
})
