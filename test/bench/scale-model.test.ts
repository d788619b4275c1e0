/**
 * The scale model's parts that decide its numbers, without DynamoDB Local: the table's partition limits (1,000
 * write units, 3,000 read units per partition key per second, throttled requests unbilled), and the two wire
 * designs of the fake client — sharded window counters that the store still sums, and batched writes.
 */
import { describe, expect, it } from '@jest/globals'
import { ProvisionedThroughputExceededException, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBBreakerStore } from '../../src/aws/dynamodb/store.js'
import { FakeDynamoDBClient, type WireDesign } from '../../bench/scale/fake-client.js'
import { Scheduler } from '../../bench/scale/scheduler.js'
import { TableModel } from '../../bench/scale/table-model.js'

const T0 = Date.UTC(2026, 0, 1)
const KEY = 'm@us-east-1'
const add = (pk: string, sk: string) => ({
  TableName: 't', Key: { pk: { S: pk }, sk: { S: sk } },
  UpdateExpression: 'ADD calls :one', ExpressionAttributeValues: { ':one': { N: '1' } },
})

describe('the table model', () => {
  it('throttles a partition key past 1,000 write units in a second, bills only what it took, and starts over the next second', () => {
    let now = T0
    const table = new TableModel(() => now)
    for (let i = 0; i < 1_000; i++) table.updateItem(add(KEY, 'w#1'))
    expect(() => table.updateItem(add(KEY, 'w#2'))).toThrow(ProvisionedThroughputExceededException)
    table.updateItem(add(`${KEY}#1`, 'w#1'))
    now += 1_000
    table.updateItem(add(KEY, 'w#1'))
    expect(table.totals).toMatchObject({ writes: 1_002, wru: 1_002, throttledWrites: 1, requests: 1_003 })
    expect(table.getItem({ TableName: 't', Key: { pk: { S: KEY }, sk: { S: 'w#1' } } }).Item?.calls).toEqual({ N: '1001' })
    expect(table.totals.rru).toBe(0.5)
  })

  it('throttles reads past 3,000 read units: 6,000 eventually consistent reads, 3,000 strongly consistent ones', () => {
    const table = new TableModel(() => T0)
    const get = (consistent: boolean) =>
      table.getItem({ TableName: 't', Key: { pk: { S: KEY }, sk: { S: 'state' } }, ConsistentRead: consistent })
    for (let i = 0; i < 6_000; i++) get(false)
    expect(() => get(false)).toThrow(ProvisionedThroughputExceededException)
    const other = new TableModel(() => T0)
    for (let i = 0; i < 3_000; i++) other.getItem({ TableName: 't', Key: { pk: { S: KEY }, sk: { S: 'state' } }, ConsistentRead: true })
    expect(other.totals).toMatchObject({ rru: 3_000, throttledReads: 0 })
  })
})

describe('the fake client\'s wire designs, under the real store', () => {
  const fleet = (design: WireDesign) => {
    const sim = new Scheduler(T0)
    const table = new TableModel(() => sim.now())
    const stores = [0, 1, 2].map((container) => new DynamoDBBreakerStore({
      tableName: 'scale-test', clock: { now: () => sim.now(), sleep: (ms) => sim.sleep(ms) },
      client: new FakeDynamoDBClient({ table, sim, design, container, random: () => 0.5, latencyMs: 0 }) as unknown as DynamoDBClient,
    }))
    return { sim, table, stores }
  }

  it('sharded: each container writes its own partition key, and a window query sums every shard', async () => {
    const { sim, table, stores } = fleet({ shards: 4, batchMs: 0 })
    await sim.run(T0 + 1_500)
    for (const s of stores) await s.recordOutcome(KEY, 'failure', sim.now(), 60_000, 0)
    await sim.run(T0 + 2_500)
    expect(await stores[0]?.recordOutcome(KEY, 'failure', sim.now(), 60_000, 0)).toEqual({ calls: 4, failures: 4, consecutiveFailures: 2 })
    const keys = [...table.demand.keys()].sort()
    expect(keys).toEqual([`${KEY}#0`, `${KEY}#1`, `${KEY}#2`, `${KEY}#3`])
  })

  it('batched: a container\'s failures within the interval are one write, sent when it ends', async () => {
    const { sim, table, stores } = fleet({ shards: 1, batchMs: 2_000 })
    const store = stores[0] as DynamoDBBreakerStore
    for (let i = 0; i < 3; i++) await store.recordOutcome(KEY, 'failure', sim.now(), 60_000, 0)
    expect(table.totals.writes).toBe(0)
    await sim.run(T0 + 2_000)
    expect(table.totals.writes).toBe(1)
    await sim.run(T0 + 3_100)
    expect(await store.recordOutcome(KEY, 'failure', sim.now(), 60_000, 0)).toMatchObject({ calls: 3, failures: 3 })
  })
})
