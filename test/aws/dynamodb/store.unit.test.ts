/**
 * DynamoDBBreakerStore against aws-sdk-client-mock: the exact state requests it sends (condition expressions and
 * their values), when it reads, and what it caches. The window counters: store-outcomes.unit.test.ts.
 */
import { describe, expect, it } from '@jest/globals'
import {
  ConditionalCheckFailedException, GetItemCommand, ProvisionedThroughputExceededException, PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb'
import { DynamoDBBreakerStore } from '../../../src/aws/dynamodb/store.js'
import { initialRecord, type BreakerRecord } from '../../../src/core/breaker/types.js'
import { BreakwaterConfigError } from '../../../src/core/errors.js'
import { calls, ddb, KEY, put, store, T0, TABLE } from './mocked-store.js'


const open: BreakerRecord = { ...initialRecord(), state: 'open', version: 1, changedAt: T0, openUntil: T0 + 60_000, opens: 1 }
const halfOpen: BreakerRecord = { ...open, state: 'half-open', version: 2, permits: [{ id: 'p1', expiresAt: T0 + 30_000 }] }
/** `halfOpen` as DynamoDB holds it: the wire format, spelled out. */
const halfOpenItem = {
  pk: { S: KEY }, sk: { S: 'state' }, state: { S: 'half-open' }, version: { N: '2' }, changedAt: { N: String(T0) },
  openUntil: { N: String(T0 + 60_000) }, opens: { N: '1' }, stage: { N: '0' }, stageSuccesses: { N: '0' },
  permits: { M: { p1: { N: String(T0 + 30_000) } } }, slotsTaken: { N: '1' },
}
const conditionFailed = (Item?: typeof halfOpenItem) => {
  const error = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} })
  if (Item) error.Item = Item
  return error
}

describe('compareAndSet', () => {
  it('writes the first record only if no item exists yet', async () => {
    const s = store()
    expect(await s.compareAndSet(KEY, initialRecord(), open)).toEqual({ ok: true, record: open })
    expect(put()).toEqual({
      TableName: TABLE,
      Item: expect.objectContaining({ pk: { S: KEY }, sk: { S: 'state' }, state: { S: 'open' }, version: { N: '1' } }),
      ConditionExpression: 'attribute_not_exists(pk) OR attribute_not_exists(version)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    })
  })

  it('writes a later record only over the expected version, in the documented item shape', async () => {
    await store().compareAndSet(KEY, open, halfOpen)
    expect(put()).toEqual({
      TableName: TABLE, Item: halfOpenItem, ConditionExpression: 'version = :expected',
      ExpressionAttributeValues: { ':expected': { N: '1' } }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    })
  })

  it('a lost race returns the item DynamoDB sent back with the failed condition, with no extra read', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed(halfOpenItem))
    const s = store()
    expect(await s.compareAndSet(KEY, open, { ...open, version: 2, state: 'half-open' })).toEqual({ ok: false, record: halfOpen })
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0)
    // ...and caches it: the next decision starts from the winner's record without a read.
    expect(await s.read(KEY, T0)).toEqual(halfOpen)
    expect(calls()).toBe(1)
  })

  it('where the endpoint returns no item with the failed condition, reads the winner with one consistent GetItem', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed()).on(GetItemCommand).resolves({ Item: halfOpenItem })
    expect(await store().compareAndSet(KEY, open, { ...open, version: 2 })).toEqual({ ok: false, record: halfOpen })
    expect(ddb.commandCalls(GetItemCommand).map((c) => c.args[0].input))
      .toEqual([{ TableName: TABLE, Key: { pk: { S: KEY }, sk: { S: 'state' } }, ConsistentRead: true }])
  })

  it('any other error is thrown (the breaker falls back on it), and nothing is cached', async () => {
    ddb.on(PutItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }))
      .on(GetItemCommand).resolves({})
    const s = store()
    await expect(s.compareAndSet(KEY, open, halfOpen)).rejects.toBeInstanceOf(ProvisionedThroughputExceededException)
    expect(await s.read(KEY, T0)).toEqual(initialRecord())
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(1)
  })
})

describe('read', () => {
  it('is served from the cache within refreshMs (no call), refetched after; a missing item is a fresh record', async () => {
    ddb.on(GetItemCommand).resolvesOnce({}).resolves({ Item: halfOpenItem })
    const s = store({ refreshMs: 5_000 })
    expect(await s.read(KEY, T0)).toEqual(initialRecord())
    expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input)
      .toEqual({ TableName: TABLE, Key: { pk: { S: KEY }, sk: { S: 'state' } }, ConsistentRead: false })
    expect(await s.read(KEY, T0 + 4_999)).toEqual(initialRecord())
    expect(calls()).toBe(1)
    expect(await s.read(KEY, T0 + 5_000)).toEqual(halfOpen)
    expect(calls()).toBe(2)
  })

  it('trusts an open record until it may go half-open, a half-open one for 250 ms at most', async () => {
    const openItem = { ...halfOpenItem, state: { S: 'open' }, version: { N: '1' }, permits: { M: {} }, slotsTaken: { N: '0' } }
    ddb.on(GetItemCommand).resolvesOnce({ Item: openItem }).resolves({ Item: halfOpenItem })
    const s = store({ refreshMs: 10_000 })
    await s.read(KEY, T0)
    expect(await s.read(KEY, T0 + 59_999)).toMatchObject({ state: 'open' }) // past refreshMs, still cooling down
    expect(calls()).toBe(1)
    expect(await s.read(KEY, T0 + 60_000)).toEqual(halfOpen) // its cooldown is over: look again
    expect(await s.read(KEY, T0 + 60_249)).toEqual(halfOpen)
    expect(calls()).toBe(2)
    await s.read(KEY, T0 + 60_250)
    expect(calls()).toBe(3)
  })

  it('drops the cached record after a failure: the next admission reads the state afresh', async () => {
    ddb.on(GetItemCommand).resolves({}).on(QueryCommand).resolves({ Items: [] })
    const s = store()
    await s.read(KEY, T0)
    await s.recordOutcome(KEY, 'failure', T0 + 1, 60_000, 0)
    await s.read(KEY, T0 + 2)
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(2)
  })

  it('a record this store just wrote is served from the cache', async () => {
    const s = store()
    await s.compareAndSet(KEY, initialRecord(), open)
    expect(await s.read(KEY, T0 + 1)).toEqual(open)
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0)
  })
})

describe('usage and options', () => {
  it('counts every request by kind', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] })
      .on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({})
      .on(GetItemCommand).resolves({})
    const s = store({ flushMs: 1_000 })
    await s.read(KEY, T0)
    await s.compareAndSet(KEY, open, halfOpen) // lost: + 1 consistent get
    await s.compareAndSet(KEY, initialRecord(), open)
    await s.recordOutcome(KEY, 'success', T0, 60_000, 0)
    await s.recordOutcome(KEY, 'failure', T0, 60_000, 0)
    expect(s.usage).toEqual({ gets: 2, queries: 1, puts: 2, updates: 1 })
    expect(calls()).toBe(6)
  })

  it('rejects a missing or too short table name and non-positive intervals', () => {
    expect(() => store({ tableName: 'ab' })).toThrow(BreakwaterConfigError)
    expect(() => new DynamoDBBreakerStore(undefined as never)).toThrow(expect.objectContaining({ field: 'tableName' }))
    expect(() => store({ refreshMs: 0 })).toThrow(expect.objectContaining({ field: 'refreshMs' }))
    expect(() => store({ flushMs: Number.NaN })).toThrow(expect.objectContaining({ field: 'flushMs' }))
  })
})
