/**
 * The scale model's in-process table (bench/scale/table-model.ts, behind bench/scale/fake-client.ts) answers the
 * real DynamoDBBreakerStore as DynamoDB Local does: the same sequence of store operations — first write, a lost
 * race (the winner's record from the failed condition), failures and successes counted in the window, a refresh —
 * gives the same records, counts, request usage and items on both. If the store starts sending something the model
 * does not know, the model throws and this fails.
 */
import { describe, expect, it } from '@jest/globals'
import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBBreakerStore } from '../../src/aws/dynamodb/store.js'
import { initialRecord, type BreakerRecord } from '../../src/core/breaker/types.js'
import { FakeDynamoDBClient } from '../../bench/scale/fake-client.js'
import { TableModel } from '../../bench/scale/table-model.js'
import type { TestDynamoDB } from '../../tools/dynamodb-local/dynamodb.js'
import { useTable } from '../support/dynamodb-table.js'
import { FakeClock } from '../support/fake-clock.js'

const T0 = 1_700_000_000_250
const KEY = 'anthropic.claude-3-haiku@us-east-1'
const WINDOW = 10_000

let db!: TestDynamoDB
let table!: string
let clock!: FakeClock
useTable(T0, (f) => ({ db, table, clock } = f))

type Send = (command: unknown) => Promise<unknown>

/** The same script of store operations on one backend; what it saw, step by step. */
async function script(client: DynamoDBClient, send: Send): Promise<unknown[]> {
  const seen: unknown[] = []
  const store = (): DynamoDBBreakerStore => new DynamoDBBreakerStore({ tableName: table, client, clock, flushMs: 1_000 })
  const a = store()
  const b = store()
  seen.push(await a.read(KEY, clock.now()))
  const t = clock.now()
  const open: BreakerRecord = { ...initialRecord(), state: 'open', version: 1, changedAt: t, openUntil: t + 5_000, opens: 1 }
  seen.push(await a.compareAndSet(KEY, initialRecord(), open))
  seen.push(await b.compareAndSet(KEY, initialRecord(), { ...open, changedAt: clock.now() + 1 }))
  for (let i = 0; i < 4; i++) {
    await clock.advance(700)
    seen.push(await a.recordOutcome(KEY, 'success', clock.now(), WINDOW, 0))
    seen.push(await b.recordOutcome(KEY, i % 2 === 0 ? 'failure' : 'success', clock.now(), WINDOW, 0))
  }
  await clock.advance(11_000)
  seen.push(await b.read(KEY, clock.now()), a.usage, b.usage)
  const stateItem = await send(new GetItemCommand({ TableName: table, Key: { pk: { S: KEY }, sk: { S: 'state' } }, ConsistentRead: true }))
  seen.push((stateItem as { Item?: unknown }).Item)
  const windowItems = await send(new QueryCommand({
    TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :w)',
    ExpressionAttributeValues: { ':pk': { S: KEY }, ':w': { S: 'w#' } }, ConsistentRead: true,
  }))
  seen.push((windowItems as { Items?: unknown[] }).Items)
  return seen
}

describe('the scale model\'s table against DynamoDB Local', () => {
  it('answers a run of the real store\'s operations the same', async () => {
    const real = db.client()
    const onLocal = await script(real, (c) => real.send(c as GetItemCommand))
    clock = new FakeClock(T0)
    const model = new TableModel(() => clock.now())
    const fake = new FakeDynamoDBClient({
      table: model, sim: clock, design: { shards: 1, batchMs: 0 }, container: 0, random: () => 0.5, latencyMs: 0,
    })
    const onModel = await script(fake as unknown as DynamoDBClient, (c) => fake.send(c as GetItemCommand))
    expect(onModel).toEqual(onLocal)
    // It did count what it answered: 2 conditional puts (one failed), window writes and queries, gets.
    expect(model.totals.conditionFailures).toBe(1)
    expect(model.totals.writes).toBeGreaterThan(2)
  }, 60_000)
})
