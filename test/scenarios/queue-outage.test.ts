/**
 * The queue path through a full outage, every part on a real wire: the request function and the worker (the real
 * breakwater() stack, Powertools batch and idempotency) against the fake Bedrock over HTTP/2, the shared breaker,
 * the results and the idempotency records on DynamoDB Local, the request queue and its DLQ on fauxqs (SQS), and an
 * event-source mapping that long-polls the queue as Lambda's does (MaximumConcurrency 2).
 *
 * Every region answers 503 for OUTAGE_S while requests arrive; each is accepted (202) and queued. The worker
 * waits for the breaker: records come back when it next reopens. When Bedrock returns, the probe ramp lets them
 * through. Nothing is lost, Bedrock answers each request exactly once, and the DLQ stays empty although the queue's
 * maxReceiveCount (5) is far below the dozen reopens of a 60 s outage: a record received 3 times is requeued as a
 * fresh copy. Every result is in soon after the recovery: this test only bounds it loosely (outage + 4 probe
 * intervals, a liveness check on a shared machine); `npm run bench:chaos -- queue-outage` measures it (the target:
 * within two probe intervals).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb'
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs'
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { EventSourceMapping } from '../../tools/queue/event-source.js'
import { startQueueServer, type QueueServer } from '../../tools/queue/fauxqs-server.js'
import { REGION } from '../../tools/dynamodb-local/dynamodb.js'
import { RequestQueue, ResultsStore } from '../../src/queue.js'
import { createRequestHandler, createStatusHandler, createWorkerHandler } from '../../examples/queue/queue-handlers.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { useTable, type TableFixture } from '../support/dynamodb-table.js'
import { httpApiEvent } from '../support/events.js'
import { at, countdown, EAST, pause, WEST } from '../support/scenario.js'

/** The numbers: a 60 s outage, 200 requests accepted during it. */
const OUTAGE_S = Number(process.env.QUEUE_OUTAGE_S ?? 60)
const REQUESTS = Number(process.env.QUEUE_REQUESTS ?? 200)
const PROBE_INTERVAL_S = 5

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })
let fx!: TableFixture
useTable(0, (f) => { fx = f })

const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' }
let sqsServer: QueueServer
let sqs: SQSClient
beforeAll(async () => {
  sqsServer = await startQueueServer()
  sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: REGION, credentials: CREDENTIALS })
})
afterAll(async () => {
  sqs.destroy()
  await sqsServer.stop()
})

const depth = async (queueUrl: string): Promise<number> => {
  const { Attributes: a = {} } = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  }))
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0)
}

describe('accept and queue through a full outage', () => {
  jest.setTimeout((OUTAGE_S + 60) * 1000)

  it(`${REQUESTS} requests in a ${OUTAGE_S} s outage: none lost, each paid once, DLQ empty, all served soon after recovery`, async () => {
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'requests-dlq' }))).QueueUrl ?? ''
    const queueUrl = (await sqs.send(new CreateQueueCommand({
      QueueName: 'requests',
      Attributes: {
        VisibilityTimeout: '60',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:requests-dlq', maxReceiveCount: '5' }),
      },
    }))).QueueUrl ?? ''
    const [resultsTable, idempotencyTable] = [await fx.db.newTable(), await fx.db.newTable()]
    const ddb = fx.db.client()
    const queue = new RequestQueue({ queueUrl, deadLetterQueueUrl: dlqUrl, sqs })
    const results = new ResultsStore({ tableName: resultsTable, dynamodb: ddb })
    const preset = {
      routes: { default: [at(EAST), at(WEST)] },
      client: { clientConfig: fakeClientConfig(server) },
      breaker: { tableName: fx.table, dynamodb: { clientConfig: fx.db.clientConfig } },
      backoff: { baseMs: 20 },
    }
    const front = createRequestHandler({ ...preset, queue, results })
    const idempotency = new DynamoDBPersistenceLayer({ tableName: idempotencyTable, keyAttr: 'pk', sortKeyAttr: 'sk', awsSdkV3Client: ddb })
    const mapping = new EventSourceMapping({
      sqs, queueUrl, maximumConcurrency: 2, context: () => countdown(30_000).context,
      container: () => {
        const worker = createWorkerHandler({ ...preset, queue, results, idempotency })
        return async (event: SQSEvent, context) => (await worker(event, context)) as SQSBatchResponse
      },
    })

    server.plan([{ kind: 'unavailable' }])
    const outageEndsAt = Date.now() + OUTAGE_S * 1000
    const recover = setTimeout(() => server.plan([]), OUTAGE_S * 1000)
    mapping.start()
    const ids: string[] = []
    try {
      // Arrivals over the first two thirds of the outage, on schedule, each answered in its own time.
      const spacing = (OUTAGE_S * 1000 * 2) / 3 / REQUESTS
      const replies = await Promise.all(Array.from({ length: REQUESTS }, async (_, i) => {
        await pause(i * spacing)
        const event = { ...httpApiEvent(), body: JSON.stringify({ prompt: `question #${i}` }) }
        return (await front(event, countdown(10_000).context)) as { statusCode: number; body: string }
      }))
      expect(replies.map((r) => r.statusCode)).toEqual(replies.map(() => 202))
      expect(Date.now()).toBeLessThan(outageEndsAt)
      ids.push(...replies.map((r) => (JSON.parse(r.body) as { requestId: string }).requestId))
      const status = createStatusHandler({ results })
      const doneBy = outageEndsAt + 4 * PROBE_INTERVAL_S * 1000
      let pending = ids
      while (pending.length > 0 && Date.now() < doneBy + 5_000) {
        await pause(250)
        const read = async (id: string) => JSON.parse((await status({ pathParameters: { id } })).body) as { status: string }
        const outcomes = await Promise.all(pending.map(read))
        pending = pending.filter((_, i) => outcomes[i]?.status !== 'done')
      }
      const lastAt = Date.now()
      expect(pending).toEqual([])
      expect(lastAt).toBeLessThanOrEqual(doneBy + 500)
    } finally {
      clearTimeout(recover)
      await mapping.stop()
    }
    // Paid once per request: one answered Converse call per request, whatever was retried or redelivered.
    const answered = server.calls.filter((c) => c.status === 200)
    expect(answered).toHaveLength(REQUESTS)
    expect(new Set(answered.map((c) => JSON.stringify(c.body))).size).toBe(REQUESTS)
    expect(await depth(dlqUrl)).toBe(0)
    expect(await depth(queueUrl)).toBe(0)
  })
})
