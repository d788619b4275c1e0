/** The DynamoDB admission feed's requests, on a mocked client: what it reads, what it adds, and what a failure writes. */
import { describe, expect, it } from '@jest/globals'
import { QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { bucketSk } from '../../../src/aws/dynamodb/items.js'
import { MAX_WINDOW_MS } from '../../../src/core/breaker/policy.js'
import { ddb, KEY, query, store, T0, TABLE, update } from './mocked-store.js'

const SECOND = T0 - (T0 % 1_000)
const delta = { requests: 4, accepts: 1, throttles: 3 }

describe('DynamoDBAdmissionFeed', () => {
  it('reads the window (this second and the 4 before), then adds the delta to this second\'s item beside the breaker\'s', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          pk: { S: KEY }, sk: { S: bucketSk(SECOND - 2_000) }, calls: { N: '7' },
          requests: { N: '10' }, accepts: { N: '2' }, throttles: { N: '8' },
        },
        { pk: { S: KEY }, sk: { S: bucketSk(SECOND) }, requests: { N: '3' }, accepts: { N: '1' }, throttles: { N: '2' } },
        { pk: { S: KEY }, sk: { S: bucketSk(SECOND - 1_000) }, calls: { N: '5' } }, // only the breaker wrote this one
      ],
    })
    ddb.on(UpdateItemCommand).resolves({})
    const s = store()
    const buckets = await s.admissionFeed.report(KEY, delta, T0, 5_000)
    expect(query()).toMatchObject({
      TableName: TABLE, ConsistentRead: true,
      ExpressionAttributeValues: { ':pk': { S: KEY }, ':from': { S: bucketSk(SECOND - 4_000) }, ':to': { S: bucketSk(SECOND) } },
    })
    expect(update()).toMatchObject({
      TableName: TABLE,
      Key: { pk: { S: KEY }, sk: { S: bucketSk(SECOND) } },
      UpdateExpression: 'ADD requests :requests, accepts :accepts, throttles :throttles SET expiresAt = if_not_exists(expiresAt, :ttl)',
      ExpressionAttributeValues: { ':requests': { N: '4' }, ':accepts': { N: '1' }, ':throttles': { N: '3' } },
    })
    // The item may be the breaker's too: its TTL covers the longest breaker window.
    const ttl = Number(update()?.ExpressionAttributeValues?.[':ttl']?.N)
    expect(ttl * 1_000).toBeGreaterThan(SECOND + MAX_WINDOW_MS)
    expect([...buckets.entries()].sort(([a], [b]) => a - b)).toEqual([
      [SECOND - 2_000, { requests: 10, accepts: 2, throttles: 8 }],
      [SECOND - 1_000, { requests: 0, accepts: 0, throttles: 0 }],
      [SECOND, { requests: 7, accepts: 2, throttles: 5 }],
    ])
    // One operation budget for the exchange: both requests abort on the same signal.
    const signalOf = (c: { args: unknown[] } | undefined): unknown => (c?.args[1] as { abortSignal?: AbortSignal } | undefined)?.abortSignal
    const signal = signalOf(ddb.commandCalls(QueryCommand)[0])
    expect(signal).toBeInstanceOf(AbortSignal)
    expect(signalOf(ddb.commandCalls(UpdateItemCommand)[0])).toBe(signal)
    expect(s.usage).toEqual({ gets: 0, queries: 1, puts: 0, updates: 1 })
    expect(s.admissionFeed.usage).toEqual({ reports: 1, queries: 1, updates: 1 })
  })

  it('a delta of nothing is a read only', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] })
    const s = store()
    await s.admissionFeed.report(KEY, { requests: 0, accepts: 0, throttles: 0 }, T0, 5_000)
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0)
    expect(s.usage).toEqual({ gets: 0, queries: 1, puts: 0, updates: 0 })
  })

  it('a failed read writes nothing and rejects: the throttle keeps the delta as its own', async () => {
    ddb.on(QueryCommand).rejects(new Error('ProvisionedThroughputExceededException'))
    ddb.on(UpdateItemCommand).resolves({})
    const s = store()
    await expect(s.admissionFeed.report(KEY, delta, T0, 5_000)).rejects.toThrow(/Provisioned/)
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0)
  })

  it('a one-second window reads this second only', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] })
    ddb.on(UpdateItemCommand).resolves({})
    await store().admissionFeed.report(KEY, delta, T0, 1_000)
    expect(query()?.ExpressionAttributeValues).toMatchObject({ ':from': { S: bucketSk(SECOND) }, ':to': { S: bucketSk(SECOND) } })
  })
})
