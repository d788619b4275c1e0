/**
 * The accepting front on real wires: the real SQS protocol (fauxqs on 127.0.0.1), the results table on DynamoDB
 * Local, the real breakwater() stack against the fake Bedrock. A request no target can serve is queued and answered
 * 202 with a status URL that says `pending`; one the caller marked `Prefer: respond-async` is queued without a call;
 * a queue that cannot take it leaves the 503, so nothing is accepted that is not stored.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { startQueueServer, type QueueServer } from '../../tools/queue/fauxqs-server.js'
import { FAKE_DYNAMODB_CREDENTIALS, REGION } from '../../tools/dynamodb-local/dynamodb.js'
import { acceptAndQueue, readEnvelope, requestStatus, RequestQueue, ResultsStore } from '../../src/queue.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { useTable, type TableFixture } from '../support/dynamodb-table.js'
import { directEvent, httpApiEvent } from '../support/events.js'
import { at, chatHandler, EAST, parseBody, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })
let fx!: TableFixture
useTable(Date.UTC(2026, 11, 3), (f) => { fx = f })

const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' }
let sqsServer: QueueServer
let sqs: SQSClient
let queueUrl: string
beforeAll(async () => {
  sqsServer = await startQueueServer()
  sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 })
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'requests' }))).QueueUrl ?? ''
})
afterAll(async () => {
  sqs.destroy()
  await sqsServer.stop()
})

const routes = { default: [at(EAST), at(WEST)] }
const results = (): ResultsStore => new ResultsStore({
  tableName: fx.table,
  dynamodb: new DynamoDBClient({ endpoint: fx.db.endpoint, region: REGION, credentials: FAKE_DYNAMODB_CREDENTIALS }),
})
const drain = async (): Promise<string[]> => {
  const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))
  return (out.Messages ?? []).map((m) => m.Body ?? '')
}

describe('acceptAndQueue', () => {
  it('queues what no target can serve: 202, a Location, pending at the status URL', async () => {
    server.plan([{ kind: 'unavailable' }])
    const store = results()
    const front = acceptAndQueue({ queue: new RequestQueue({ queueUrl, sqs }), results: store, newId: () => 'req-unavailable-1' })
    const chat = chatHandler(server, { routes, backoff: { baseMs: 10 } }, { after: [front] })
    const event = httpApiEvent()
    const result = await chat.invoke(event)

    expect(result.statusCode).toBe(202)
    expect(result.headers).toMatchObject({ location: '/requests/req-unavailable-1', 'retry-after': '2' })
    expect(parseBody(result)).toMatchObject({ accepted: true, status: 'pending', requestId: 'req-unavailable-1' })
    const [body] = await drain()
    const queued = readEnvelope(body ?? '')
    expect(queued).toMatchObject({ id: 'req-unavailable-1', why: 'unavailable', payload: JSON.parse(event.body ?? '') })

    const status = await requestStatus({ results: store })({ pathParameters: { id: 'req-unavailable-1' } })
    expect(status.statusCode).toBe(200)
    expect(JSON.parse(status.body)).toMatchObject({ requestId: 'req-unavailable-1', status: 'pending' })
  })

  it('queues a request marked Prefer: respond-async without calling Bedrock; a direct invoke gets the plain object', async () => {
    server.plan([])
    const front = acceptAndQueue({ queue: new RequestQueue({ queueUrl, sqs }), newId: () => 'req-requested-01' })
    const chat = chatHandler(server, { routes }, { after: [front] })
    const event = { ...httpApiEvent(), headers: { ...httpApiEvent().headers, Prefer: 'wait=5, respond-async' } }
    expect((await chat.invoke(event)).statusCode).toBe(202)
    expect(server.calls).toHaveLength(0)
    expect(readEnvelope((await drain())[0] ?? '')).toMatchObject({ why: 'requested' })

    server.plan([{ kind: 'unavailable' }])
    const direct = await chat.invoke(directEvent())
    expect(direct).toEqual({
      accepted: true, status: 'pending', requestId: 'req-requested-01', statusUrl: '/requests/req-requested-01', retryAfterSeconds: 2,
    })
    expect(readEnvelope((await drain())[0] ?? '').payload).toEqual(directEvent())
  })

  it('a queue that does not take the message leaves the 503: nothing is accepted that is not stored', async () => {
    server.plan([{ kind: 'unavailable' }])
    const dead = new SQSClient({ endpoint: 'http://127.0.0.1:9', region: REGION, credentials: CREDENTIALS, maxAttempts: 1 })
    const front = acceptAndQueue({ queue: new RequestQueue({ queueUrl, sqs: dead }) })
    const chat = chatHandler(server, { routes, backoff: { baseMs: 10 } }, { after: [front] })
    const result = await chat.invoke(httpApiEvent())
    expect(result.statusCode).toBe(503)
    expect(result.headers).toHaveProperty('retry-after')
    expect(await drain()).toEqual([])
    dead.destroy()
  })

  it('the status URL: 404 for an id never accepted, 400 for one that cannot be ours, the answer once done', async () => {
    const store = results()
    const status = requestStatus({ results: store })
    expect((await status({ pathParameters: { id: 'never-accepted-1' } })).statusCode).toBe(404)
    expect((await status({ pathParameters: { id: '../etc' } })).statusCode).toBe(400)
    await store.accepted('req-done-000001', 1_000)
    await store.done('req-done-000001', 1_000, { text: 'hi' }, 2_000)
    // A late pending write (the front's, after a fast worker) does not hide the answer.
    await store.accepted('req-done-000001', 1_000)
    expect(JSON.parse((await status({ pathParameters: { id: 'req-done-000001' } })).body))
      .toEqual({ requestId: 'req-done-000001', status: 'done', acceptedAt: 1_000, finishedAt: 2_000, result: { text: 'hi' } })
  })
})
