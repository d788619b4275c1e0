/**
 * A declared quota kept fleet-wide, end to end: three containers (three breakwater() stacks, each with its own
 * engine, lease book and DynamoDB client) share one breaker table on DynamoDB Local, their Bedrock clients pointed
 * at the fake Bedrock, which enforces the same quota. Together they send us-east-1 exactly its minute's requests
 * and not one 429; the rest go straight to us-west-2.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { quotaKey, quotaUsed } from '../../src/aws/dynamodb/items.js'
import { minuteOf } from '../../src/core/admission/quota.js'
import { systemClock, type Clock } from '../../src/core/clock.js'
import { startDynamoDB, type TestDynamoDB } from '../../tools/dynamodb-local/dynamodb.js'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { httpApiEvent } from '../support/events.js'
import { ask, at, chatHandler, EAST, HAIKU, parseBody, WEST } from '../support/scenario.js'

let server: FakeBedrock
let db: TestDynamoDB
let table: string
beforeAll(async () => { [server, db] = await Promise.all([FakeBedrock.start(), startDynamoDB()]) })
afterAll(async () => { await Promise.all([server.stop(), db.stop()]) })
beforeEach(async () => {
  server.reset()
  table = await db.newTable()
})

const QUOTA = { requestsPerMinute: 12 }

describe('a declared quota, three containers, one table', () => {
  it('the fleet sends us-east-1 its 12 requests of the minute, none throttled; the rest spill to us-west-2', async () => {
    server.quotas([{ model: HAIKU, region: EAST, ...QUOTA }])
    // The wall clock, read as if the minute started now: no minute end falls inside the test (see declared-quota.test.ts).
    const offset = Date.now() % 60_000
    const clock: Clock = { now: () => Date.now() - offset, sleep: systemClock.sleep }
    const routes = { default: [{ model: HAIKU, region: EAST, quota: QUOTA }, at(WEST)] }
    const fleet = Array.from({ length: 3 }, () => chatHandler(server, {
      routes, clock, breaker: { tableName: table, dynamodb: { clientConfig: db.clientConfig } },
    }, { input: { ...ask(), inferenceConfig: { maxTokens: 200 } } }))
    const regions: string[] = []
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(fleet.map((chat) => chat.invoke(httpApiEvent())))
      for (const r of results) {
        expect(r.statusCode).toBe(200)
        regions.push((parseBody(r) as { served: { region: string } }).served.region)
      }
    }
    expect(server.calls.filter((c) => c.status === 429)).toHaveLength(0)
    expect(server.callsTo({ region: EAST })).toBe(12)
    expect(regions.filter((r) => r === EAST)).toHaveLength(12)
    expect(regions.filter((r) => r === WEST)).toHaveLength(18)
    const item = await db.client().send(new GetItemCommand({
      TableName: table, Key: quotaKey(`${HAIKU}@${EAST}`, minuteOf(clock.now())), ConsistentRead: true,
    }))
    expect(item.Item && quotaUsed(item.Item).requests).toBe(12)
  })
})
