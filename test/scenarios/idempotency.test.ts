/**
 * Powertools Idempotency with its DynamoDB persistence layer, in front of the Breakwater stack, against a real
 * DynamoDB protocol (DynamoDB Local, dynalite where Java is missing, or BREAKWATER_DYNAMODB_ENDPOINT): a redelivered
 * SQS record or a retried direct invoke is answered from the idempotency table and the fake Bedrock sees no second
 * call. A failed record is not stored (Powertools deletes its in-progress item), so its redelivery really runs again.
 *
 * Powertools 2.35.0 sends `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` on its conditional PutItem; DynamoDB Local
 * (and moto_server) return the existing item with the ConditionalCheckFailedException. dynalite ignores the parameter
 * and returns no `Item`; Powertools then reads the record with a GetItem, so the behaviour under test is the same.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency'
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb'
import { CreateTableCommand, DescribeTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda'
import { breakwater, type BreakwaterContext } from '../../src/index.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { startDynamoDB, type TestDynamoDB } from '../../tools/dynamodb-local/dynamodb.js'
import { lambdaContext, sqsEvent } from '../support/events.js'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { at, EAST, messagesSent, user, WEST } from '../support/scenario.js'

let server: FakeBedrock
let dynamo: TestDynamoDB
beforeAll(async () => {
  server = await FakeBedrock.start()
  dynamo = await startDynamoDB()
})
afterAll(async () => {
  await server.stop()
  await dynamo.stop()
})
beforeEach(() => server.reset())

/** The idempotency table Powertools expects: partition key `id` (S); TTL on `expiration` in real deployments. */
async function idempotencyTable(): Promise<string> {
  const admin = dynamo.client()
  const TableName = `idempotency-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  await admin.send(new CreateTableCommand({
    TableName,
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  }))
  for (let i = 0; i < 200; i++) {
    const { Table } = await admin.send(new DescribeTableCommand({ TableName }))
    if (Table?.TableStatus === 'ACTIVE') return TableName
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`table ${TableName} did not become ACTIVE`)
}

const stack = () => breakwater({
  routes: { default: [at(EAST), at(WEST)] },
  client: { clientConfig: fakeClientConfig(server) },
  backoff: { baseMs: 1 },
})

/** A fresh container: its own persistence layer (no local cache either way) over the shared table. */
const persistence = (tableName: string) => new DynamoDBPersistenceLayer({ tableName, clientConfig: dynamo.clientConfig })

/** The SQS handler of docs/sqs-and-idempotency.md: idempotent per record, keyed by messageId. */
function sqsHandler(tableName: string) {
  const persistenceStore = persistence(tableName)
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'messageId' })
  const processor = new BatchProcessor(EventType.SQS)
  return middy(async (event: SQSEvent, context: BreakwaterContext, { signal }: { signal: AbortSignal }) => {
    const answerRecord = makeIdempotent(async (record: SQSRecord) => {
      const { prompt } = JSON.parse(record.body) as { prompt: string }
      const reply = await context.bedrock.converse({ messages: [user(prompt)] }, { signal })
      return { text: reply.text, region: reply.served.region }
    }, { persistenceStore, config, keyPrefix: 'chat-record' })
    return processPartialResponse(event, answerRecord, processor, { context, processInParallel: false })
  }).use(stack())
}

const batch = (...ids: string[]): SQSEvent => {
  const event = sqsEvent(...ids)
  for (const record of event.Records) record.body = JSON.stringify({ prompt: `question ${record.messageId}` })
  return event
}
const ctx = (requestId: string): BreakwaterContext => lambdaContext(requestId) as BreakwaterContext

describe('idempotency (Powertools, DynamoDB persistence) with the Breakwater stack', () => {
  it('a redelivered SQS record is served from the store: no second Bedrock call', async () => {
    const tableName = await idempotencyTable()
    expect(await sqsHandler(tableName)(batch('m-1', 'm-2'), ctx('r-1'))).toEqual({ batchItemFailures: [] })
    expect(server.calls).toHaveLength(2)

    // Another container gets m-2 again (redelivered) next to a new message m-3.
    expect(await sqsHandler(tableName)(batch('m-2', 'm-3'), ctx('r-2'))).toEqual({ batchItemFailures: [] })
    expect(server.calls).toHaveLength(3)
    // Each prompt was paid for once: m-2's redelivery was answered from the table, not by Bedrock.
    expect(server.calls.map((c) => messagesSent(c)[0]?.content?.[0]?.text)).toEqual(['question m-1', 'question m-2', 'question m-3'])
    const { Items = [] } = await dynamo.client().send(new ScanCommand({ TableName: tableName }))
    expect(Items.map((i) => i.status?.S).sort()).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED'])
  })

  it('a record that failed is not stored: its redelivery calls Bedrock again and is answered', async () => {
    const tableName = await idempotencyTable()
    server.plan([{ kind: 'unavailable' }])
    // Every record failed: Powertools throws FullBatchFailureError, gracefulDegradation reports every messageId.
    expect(await sqsHandler(tableName)(batch('m-1'), ctx('r-1'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] })
    const paid = server.calls.length
    expect(paid).toBeGreaterThan(0)

    server.plan([])
    expect(await sqsHandler(tableName)(batch('m-1'), ctx('r-2'))).toEqual({ batchItemFailures: [] })
    expect(server.calls).toHaveLength(paid + 1)
  })

  it('a retried direct invoke with the same payload is served from the store (makeIdempotent around the handler)', async () => {
    const tableName = await idempotencyTable()
    const direct = () => {
      const persistenceStore = persistence(tableName)
      const config = new IdempotencyConfig({ eventKeyJmesPath: '[userId, prompt]' })
      return middy(makeIdempotent(async (event: { prompt: string; userId: string }, context: Context) => {
        const reply = await (context as BreakwaterContext).bedrock.converse({ messages: [user(event.prompt)] })
        return { ok: true, text: reply.text }
      }, { persistenceStore, config })).use(stack())
    }
    const payload = { prompt: 'Where is my order?', userId: 'u-42' }
    const first = await direct()(payload, ctx('r-1'))
    const retried = await direct()({ ...payload }, ctx('r-2'))
    expect(retried).toEqual(first)
    expect(first).toEqual({ ok: true, text: `echo: Where is my order? [${at(EAST)}]` })
    expect(server.calls).toHaveLength(1)

    await direct()({ ...payload, prompt: 'And my refund?' }, ctx('r-3'))
    expect(server.calls).toHaveLength(2)
  })

  it('a degraded direct invoke is not stored: the retry calls Bedrock again', async () => {
    const tableName = await idempotencyTable()
    const persistenceStore = persistence(tableName)
    const config = new IdempotencyConfig({})
    const handler = middy(makeIdempotent(async (event: { prompt: string }, context: Context) => {
      const reply = await (context as BreakwaterContext).bedrock.converse({ messages: [user(event.prompt)] })
      return { ok: true, text: reply.text }
    }, { persistenceStore, config })).use(stack())

    server.plan([{ kind: 'unavailable' }])
    expect(await handler({ prompt: 'hi' }, ctx('r-1'))).toMatchObject({ ok: false, degraded: true, statusCode: 503 })
    const paid = server.calls.length

    server.plan([])
    // A fresh container (the first one's breakers are open now).
    const retry = middy(makeIdempotent(async (event: { prompt: string }, context: Context) => {
      const reply = await (context as BreakwaterContext).bedrock.converse({ messages: [user(event.prompt)] })
      return { ok: true, text: reply.text }
    }, { persistenceStore: persistence(tableName), config: new IdempotencyConfig({}) })).use(stack())
    expect(await retry({ prompt: 'hi' }, ctx('r-2'))).toEqual({ ok: true, text: `echo: hi [${at(EAST)}]` })
    expect(server.calls).toHaveLength(paid + 1)
  })
})
