/**
 * circuitBreaker({ tableName }) through real Middy handlers: two handler instances (two containers) share one breaker
 * through DynamoDB (DynamoDB Local, or BREAKWATER_DYNAMODB_ENDPOINT), their Bedrock clients pointed at the fake Bedrock.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { itemToRecord, stateKey } from '../../src/aws/dynamodb/items.js'
import { MemoryBreakerStore } from '../../src/core/breaker/memory-store.js'
import { BreakwaterConfigError } from '../../src/core/errors.js'
import { breakwater } from '../../src/middlewares/breakwater.js'
import { breakerPart, circuitBreaker } from '../../src/middlewares/circuit-breaker.js'
import { fallback } from '../../src/middlewares/fallback.js'
import { gracefulDegradation } from '../../src/middlewares/graceful-degradation.js'
import { router, type BreakwaterContext } from '../../src/middlewares/router.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { startDynamoDB, type TestDynamoDB } from '../../tools/dynamodb-local/dynamodb.js'
import { httpApiEvent, lambdaContext } from '../support/events.js'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
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

const routes = { default: [at(EAST), at(WEST)] }
const breaker = () => ({ tableName: table, dynamodb: { clientConfig: db.clientConfig }, consecutiveFailures: 2, cooldownMs: 60_000 })

/** Container B, built from the single middlewares rather than the preset: the same table, the same breaker. */
function containerB() {
  return middy(async (_event: unknown, context: Context) => {
    const reply = await (context as BreakwaterContext).bedrock.converse(ask())
    return { statusCode: 200, body: JSON.stringify({ text: reply.text, served: reply.served }) }
  }).use([
    router({ routes, client: { clientConfig: fakeClientConfig(server) } }),
    circuitBreaker(breaker()),
    fallback(),
    gracefulDegradation(),
  ])
}

describe('two containers, one table', () => {
  it("A's failures open the target; B, which never called it, then skips it with zero Bedrock calls", async () => {
    server.plan([{ kind: 'unavailable', region: EAST }])
    const a = chatHandler(server, { routes, breaker: breaker() })
    for (let i = 0; i < 2; i++) expect((await a.invoke(httpApiEvent())).statusCode).toBe(200)
    expect(server.callsTo({ region: EAST })).toBe(2)

    const { Item } = await db.client().send(new GetItemCommand({ TableName: table, Key: stateKey(at(EAST)), ConsistentRead: true }))
    expect(Item && itemToRecord(Item)).toMatchObject({ state: 'open', version: 1, opens: 1 })

    const b = containerB()
    for (let i = 0; i < 3; i++) {
      const reply = await b(httpApiEvent(), lambdaContext())
      expect(parseBody(reply)).toMatchObject({ served: { region: WEST, model: HAIKU, attempts: 1, degraded: 'fallback-target' } })
    }
    expect(server.callsTo({ region: EAST })).toBe(2) // none from B
    expect(server.callsTo({ region: WEST })).toBe(5)
  })

  it('a table that cannot be reached does not fail the request: it is served on local state and counted', async () => {
    const metrics = new Metrics({ namespace: 'Breakwater', serviceName: 'chat' })
    const addMetric = jest.spyOn(metrics, 'addMetric')
    const chat = chatHandler(server, { routes, metrics, breaker: { ...breaker(), tableName: 'no-such-table' } })
    const result = await chat.invoke(httpApiEvent())
    expect(result.statusCode).toBe(200)
    expect(parseBody(result)).toMatchObject({ served: { region: EAST, degraded: false } })
    expect(addMetric.mock.calls.map(([name]) => name)).toContain('BreakerStoreErrors')
  })
})

describe('configuration', () => {
  const field = (make: () => unknown): string | undefined => {
    try { make() } catch (error) { return error instanceof BreakwaterConfigError ? error.field : `not a config error: ${String(error)}` }
    return undefined
  }

  it('tableName given but undefined (an unset environment variable) is an error, not a per-container breaker', () => {
    expect(field(() => circuitBreaker({ tableName: undefined }))).toBe('breaker.tableName')
    const unset = process.env.BREAKWATER_UNSET_TABLE_VARIABLE
    expect(field(() => breakwater({ routes, breaker: { tableName: unset } }))).toBe('breaker.tableName')
    expect(field(() => circuitBreaker({ tableName: '  ' }))).toBe('breaker.tableName')
  })

  it('tableName cannot be combined with a store of your own; DynamoDB options need a tableName', () => {
    expect(field(() => circuitBreaker({ tableName: 'breaker', store: new MemoryBreakerStore() }))).toBe('breaker.store')
    expect(field(() => breakwater({ routes, breaker: { tableName: 'breaker', store: new MemoryBreakerStore() } }))).toBe('breaker.store')
    expect(field(() => circuitBreaker({ dynamodb: { refreshMs: 1_000 } }))).toBe('breaker.dynamodb')
    expect(field(() => circuitBreaker({ localFallbackMs: 1_000 }))).toBe('breaker.localFallbackMs')
  })

  it('a table gives the fleet a 2 s clock-skew allowance by default (0 in one container); an explicit one wins', () => {
    const skewOf = (options: Parameters<typeof breakerPart>[0]): number => breakerPart(options).breaker.policy.clockSkewMs
    expect(skewOf({ tableName: 'breaker', dynamodb: { clientConfig: db.clientConfig } })).toBe(2_000)
    expect(skewOf({ tableName: 'breaker', clockSkewMs: 500 })).toBe(500)
    expect(skewOf(undefined)).toBe(0)
    expect(field(() => circuitBreaker({ tableName: 'breaker', clockSkewMs: 60_001 }))).toBe('breaker.clockSkewMs')
  })
})
