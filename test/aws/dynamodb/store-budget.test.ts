/** The store's whole-operation budget: a table that accepts connections and never answers cannot hold a request. */
import { createServer, type Server, type Socket } from 'node:net'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBBreakerStore } from '../../../src/aws/dynamodb/store.js'
import { circuitBreaker } from '../../../src/middlewares/circuit-breaker.js'
import { BreakwaterConfigError } from '../../../src/core/errors.js'

let server: Server
const sockets: Socket[] = []
let endpoint: string
beforeAll(async () => {
  server = createServer((socket) => { sockets.push(socket) }) // accepts, never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})
afterAll(async () => {
  for (const s of sockets) s.destroy()
  await new Promise((resolve) => server.close(resolve))
})

describe('DynamoDBBreakerStore operation budget', () => {
  // The client's own timeouts are set to a minute, so only the store's budget can end these calls; the test's
  // 5 s timeout is what fails if it does not.
  it('aborts the first request past 3 s and later ones past operationTimeoutMs', async () => {
    const client = new DynamoDBClient({
      endpoint, region: 'us-east-1', maxAttempts: 1,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestHandler: { requestTimeout: 60_000, connectionTimeout: 60_000 },
    })
    const store = new DynamoDBBreakerStore({ tableName: 'breaker', client, operationTimeoutMs: 200 })
    // The container's first request sets up the connection: it gets 3 s, not 200 ms (a burst of cold starts on a
    // loaded host aborted 18 of 20 first reads at 700 ms). Behavioural bounds, not a benchmark.
    let started = Date.now()
    await expect(store.read('m@us-east-1', Date.now())).rejects.toThrow()
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900)
    started = Date.now()
    await expect(store.recordOutcome('m@us-east-1', 'failure', Date.now(), 60_000, 0)).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(2_000)
    client.destroy()
  }, 8_000)
})

describe('circuitBreaker({ tableName }) options', () => {
  it('rejects a flushMs that would let successes reach the window too late for the rate to mean anything', () => {
    const make = () => circuitBreaker({ tableName: 'breaker', windowMs: 30_000, dynamodb: { flushMs: 10_000 } })
    expect(make).toThrow(BreakwaterConfigError)
    expect(make).toThrow(/breaker\.dynamodb\.flushMs.*5000 ms/)
    expect(() => circuitBreaker({ tableName: 'breaker', windowMs: 30_000, dynamodb: { flushMs: 5_000 } })).not.toThrow()
  })

  it('rejects a localFallbackMs that is not a positive number', () => {
    expect(() => circuitBreaker({ tableName: 'breaker', localFallbackMs: '30000' as unknown as number })).toThrow(/breaker\.localFallbackMs/)
  })
})
