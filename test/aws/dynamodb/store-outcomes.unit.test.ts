/**
 * DynamoDBBreakerStore's window counters against aws-sdk-client-mock: the exact UpdateItem (ADD) and Query requests,
 * when successes are flushed, and which seconds a failure's window covers.
 */
import { describe, expect, it } from '@jest/globals'
import { GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { calls, ddb, KEY, query, store, T0, TABLE, update } from './mocked-store.js'

const WINDOW = 60_000
const bucket = (ms: number) => `w#${String(ms - (ms % 1000)).padStart(15, '0')}`
const ttl = (ms: number) => Math.ceil((ms - (ms % 1000) + 1000 + WINDOW) / 1000) + 300

describe('recordOutcome', () => {
  it('at 10 req/s with the default periods, one invocation in 100 touches the table: a flush rides on a refresh', async () => {
    ddb.on(GetItemCommand).resolves({})
    ddb.on(UpdateItemCommand).resolves({})
    const s = store()
    let touched = 0
    // Each invocation: admission (read), then the success; a refresh and a flush due in neighbouring
    // invocations would make two of them touch DynamoDB per period.
    for (let i = 0; i < 600; i++) {
      const now = T0 + 37 + i * 100
      const before = calls()
      await s.read(KEY, now)
      await s.recordOutcome(KEY, 'success', now + 20, WINDOW, 0)
      if (calls() > before) touched++
    }
    expect(touched).toBeLessThanOrEqual(6) // 60 s: the first read, then one invocation per 10 s
  })

  it('keeps successes local until flushMs has passed, then writes them in one ADD', async () => {
    const s = store({ flushMs: 1_000 })
    expect(await s.recordOutcome(KEY, 'success', T0, WINDOW, 0)).toEqual({ calls: 0, failures: 0, consecutiveFailures: 0 })
    await s.recordOutcome(KEY, 'success', T0 + 500, WINDOW, 0)
    await s.recordOutcome(KEY, 'success', T0 + 999, WINDOW, 0)
    expect(calls()).toBe(0)
    await s.recordOutcome(KEY, 'success', T0 + 1_000, WINDOW, 0)
    expect(ddb.calls().map((c) => c.args[0].input)).toEqual([{
      TableName: TABLE,
      Key: { pk: { S: KEY }, sk: { S: bucket(T0 + 1_000) } },
      UpdateExpression: 'ADD calls :calls, failures :failures SET expiresAt = if_not_exists(expiresAt, :ttl)',
      ExpressionAttributeValues: { ':calls': { N: '4' }, ':failures': { N: '0' }, ':ttl': { N: String(ttl(T0 + 1_000)) } },
    }])
    // The flush started a new period: the next success waits again.
    await s.recordOutcome(KEY, 'success', T0 + 1_001, WINDOW, 0)
    expect(calls()).toBe(1)
  })

  it('a refresh with successes pending makes the next success flush them, before flushMs', async () => {
    ddb.on(GetItemCommand).resolves({})
    const s = store({ refreshMs: 1_000, flushMs: 10_000 })
    await s.read(KEY, T0)
    await s.recordOutcome(KEY, 'success', T0, WINDOW, 0)
    await s.read(KEY, T0 + 1_000) // the refresh: one round trip already made in this invocation
    await s.recordOutcome(KEY, 'success', T0 + 1_000, WINDOW, 0)
    expect(update()?.ExpressionAttributeValues?.[':calls']).toEqual({ N: '2' })
    await s.recordOutcome(KEY, 'success', T0 + 1_001, WINDOW, 0)
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1)
  })

  it('a failure ADDs the pending successes + 1 at once, then queries the window consistently', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ calls: { N: '7' }, failures: { N: '2' } }, { calls: { N: '3' }, failures: { N: '1' } }] })
    const s = store()
    await s.recordOutcome(KEY, 'success', T0, WINDOW, 0)
    await s.recordOutcome(KEY, 'success', T0 + 10, WINDOW, 0)
    expect(await s.recordOutcome(KEY, 'failure', T0 + 20, WINDOW, 0)).toEqual({ calls: 10, failures: 3, consecutiveFailures: 1 })
    expect(update()?.ExpressionAttributeValues).toMatchObject({ ':calls': { N: '3' }, ':failures': { N: '1' } })
    expect(query()).toEqual({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': { S: KEY }, ':from': { S: bucket(T0 + 20 - WINDOW) }, ':to': { S: bucket(T0 + 20) } },
      ConsistentRead: true,
    })
    expect(ddb.calls().map((c) => c.args[0].constructor.name)).toEqual(['UpdateItemCommand', 'QueryCommand'])
  })

  it('starts the window at the first whole second after sinceMs, and the streak over at a newer sinceMs', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] })
    const s = store()
    const since = T0 - 5_000 // 300 ms into its second: that second does not count
    await s.recordOutcome(KEY, 'failure', T0, WINDOW, 0)
    expect(await s.recordOutcome(KEY, 'failure', T0, WINDOW, since)).toMatchObject({ consecutiveFailures: 1 })
    expect(query(1)?.ExpressionAttributeValues?.[':from']).toEqual({ S: bucket(since + 1_000) })
    // An older sinceMs (a caller with a stale record) is answered from the newest one.
    expect(await s.recordOutcome(KEY, 'failure', T0, WINDOW, since - 1)).toMatchObject({ consecutiveFailures: 2 })
    await s.recordOutcome(KEY, 'success', T0, WINDOW, since)
    expect(await s.recordOutcome(KEY, 'failure', T0, WINDOW, since)).toMatchObject({ consecutiveFailures: 1 })
  })

  it('sums every page of the window', async () => {
    ddb.on(QueryCommand)
      .resolvesOnce({ Items: [{ calls: { N: '4' }, failures: { N: '4' } }], LastEvaluatedKey: { pk: { S: KEY }, sk: { S: 'w#1' } } })
      .resolves({ Items: [{ calls: { N: '6' }, failures: { N: '1' } }] })
    expect(await store().recordOutcome(KEY, 'failure', T0, WINDOW, 0)).toEqual({ calls: 10, failures: 5, consecutiveFailures: 1 })
    expect(query(1)?.ExclusiveStartKey).toEqual({ pk: { S: KEY }, sk: { S: 'w#1' } })
  })

  it('sends no query while no whole second has passed since sinceMs (nor for a sinceMs ahead of this clock)', async () => {
    const s = store()
    // DynamoDB rejects a BETWEEN with reversed bounds: a failure right after a state change must not ask it one.
    expect(await s.recordOutcome(KEY, 'failure', T0 + 400, WINDOW, T0)).toEqual({ calls: 0, failures: 0, consecutiveFailures: 1 })
    expect(await s.recordOutcome(KEY, 'failure', T0 + 400, WINDOW, T0 + 1_500)).toEqual({ calls: 0, failures: 0, consecutiveFailures: 1 })
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0)
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(2) // the failures are still written
  })

  // Two outcomes flushing at once must not both write the same pending successes (they did once: 3 became 5).
  it('concurrent flushes write each success once', async () => {
    const inFlight: (() => void)[] = []
    ddb.on(UpdateItemCommand).callsFake(() => new Promise((resolve) => inFlight.push(() => resolve({}))))
    const s = store({ flushMs: 1_000 })
    await s.recordOutcome(KEY, 'success', T0, WINDOW, 0)
    // Two calls of one container finish at once (a handler awaiting converse() calls in parallel).
    const both = Promise.all([1, 2].map(() => s.recordOutcome(KEY, 'success', T0 + 1_000, WINDOW, 0)))
    await new Promise((r) => setImmediate(r))
    for (const done of inFlight) done()
    await both
    // A fourth success later flushes whatever the concurrent pair left pending: every success written exactly once.
    const later = s.recordOutcome(KEY, 'success', T0 + 5_000, WINDOW, 0)
    await new Promise((r) => setImmediate(r))
    for (const done of inFlight) done()
    await later
    const written = ddb.commandCalls(UpdateItemCommand).map((c) => Number(c.args[0].input.ExpressionAttributeValues?.[':calls']?.N))
    expect(written.every((n) => n > 0)).toBe(true)
    expect(written.reduce((a, b) => a + b, 0)).toBe(4)
  })
})
