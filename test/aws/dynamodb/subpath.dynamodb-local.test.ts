/**
 * `breakwater/dynamodb`, the Powertools way: the user builds the DynamoDBBreakerStore and passes it as
 * `breaker: { store }`. Two containers share it through DynamoDB Local; when the table hangs, requests are still
 * served on local state (BreakerStoreErrors counted), as with the `tableName` shorthand.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { DynamoDBBreakerStore } from '../../../src/aws/dynamodb/index.js'
import { startDynamoDB, type TestDynamoDB } from '../../../tools/dynamodb-local/dynamodb.js'
import { FakeBedrock } from '../../../tools/fake-bedrock/fake-bedrock.js'
import { describeWithOutage } from '../../../tools/dynamodb-local/dynamodb.js'
import { httpApiEvent } from '../../support/events.js'
import { at, chatHandler, EAST, WEST } from '../../support/scenario.js'

let server: FakeBedrock
let db: TestDynamoDB
let table: string
beforeAll(async () => { [server, db] = await Promise.all([FakeBedrock.start(), startDynamoDB()]) })
afterAll(async () => { await Promise.all([server.stop(), db.stop()]) })
beforeEach(async () => { server.reset(); table = await db.newTable() })

const routes = { default: [at(EAST), at(WEST)] }
const store = () => new DynamoDBBreakerStore({
  tableName: table,
  client: db.client({ requestHandler: { requestTimeout: 300, connectionTimeout: 300, throwOnRequestTimeout: true } }),
  refreshMs: 100,
})

describe('breakwater/dynamodb', () => {
  it('is a subpath export of the package, pointing at the compiled store entry', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as
      { exports: Record<string, { import: string }> }
    expect(pkg.exports['./dynamodb']?.import).toBe('./dist/aws/dynamodb/index.js')
  })

  it('a store the user built is shared: container B skips the target container A opened', async () => {
    server.plan([{ kind: 'unavailable', region: EAST }])
    const a = chatHandler(server, { routes, breaker: { store: store(), consecutiveFailures: 2, cooldownMs: 60_000 } })
    for (let i = 0; i < 2; i++) expect((await a.invoke(httpApiEvent())).statusCode).toBe(200)
    const b = chatHandler(server, { routes, breaker: { store: store(), consecutiveFailures: 2, cooldownMs: 60_000 } })
    const east = server.callsTo({ region: EAST })
    expect((await b.invoke(httpApiEvent())).statusCode).toBe(200)
    expect(server.callsTo({ region: EAST })).toBe(east)
  })
})

describeWithOutage('breakwater/dynamodb when the table hangs', () => {
  it('fails open to local state, counting BreakerStoreErrors', async () => {
    const metrics: string[] = []
    const chat = chatHandler(server, {
      routes,
      metrics: { addMetric: (name: string) => { metrics.push(name) } } as never,
      breaker: { store: store(), localFallbackMs: 60_000 },
    })
    expect((await chat.invoke(httpApiEvent())).statusCode).toBe(200)
    await db.takeDown('hang')
    // A failure is written at once (successes wait for the flush): the store is asked, and does not answer.
    server.plan([{ kind: 'unavailable', region: EAST }])
    try {
      for (let i = 0; i < 3; i++) expect((await chat.invoke(httpApiEvent())).statusCode).toBe(200)
    } finally {
      await db.bringBack()
    }
    // One error, then local state for localFallbackMs: the later invocations never wait on the hung table.
    expect(metrics.filter((m) => m === 'BreakerStoreErrors')).toHaveLength(1)
  })
})

