/**
 * The queue path on 127.0.0.1, every part on a real wire, for the queue bench, the demo and the outage test: the
 * request queue and its DLQ (redrive at `maxReceiveCount`) on fauxqs, the results, idempotency and breaker tables on
 * DynamoDB Local, the fake Bedrock over HTTP/2, an event-source mapping that long-polls the queue as Lambda's does,
 * and the example's three functions (examples/queue/queue-handlers.ts) built on them. Every SQS, DynamoDB and S3
 * request the functions make is counted, by operation.
 *
 * `worker` picks the worker: Breakwater's (queueWorker: redelivery timed to the breaker, requeue before the redrive)
 * or `plain` — the same stack and idempotency, but a record that fails is simply reported as a batch item failure,
 * back after the queue's visibility timeout (30 s by default, as SQS's).
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb'
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs'
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3'
import type { HandlerExecutionContext, InitializeHandler, InitializeHandlerArguments } from '@smithy/types'
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { RequestQueue, ResultsStore, type QueuedRequest } from '../../src/queue.js'
import type { BreakwaterOptions } from '../../src/index.js'
import { createRequestHandler, createStatusHandler, createWorkerHandler } from '../../examples/queue/queue-handlers.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { REGION, type TestDynamoDB } from '../../tools/dynamodb-local/dynamodb.js'
import { lambdaContext } from '../../tools/lambda-context.js'
import { EventSourceMapping } from '../../tools/queue/event-source.js'
import { startQueueServer } from '../../tools/queue/fauxqs-server.js'
import { createPlainWorker } from './plain-worker.js'

const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' }
const PRIMARY = 'anthropic.claude-3-5-haiku-20241022-v1:0'

export type WorkerKind = 'breakwater' | 'plain'

export interface QueueRigOptions {
  readonly bedrock: FakeBedrock
  readonly dynamo: TestDynamoDB
  readonly worker?: WorkerKind
  /** The event-source mapping's MaximumConcurrency. Default 2. */
  readonly maximumConcurrency?: number
  /** The queue's. Default 60 s for Breakwater's worker (it sets each record's own), 30 s (SQS's default) for plain. */
  readonly visibilityTimeoutSeconds?: number
  /** The queue's redrive policy. Default 5. */
  readonly maxReceiveCount?: number
  /** The route both functions serve. Default: the primary model in us-east-1, then in us-west-2. */
  readonly route?: BreakwaterOptions['routes']
  /** Anything else for the breakwater() stack of both functions (logger, breaker tuning). */
  readonly stack?: Partial<BreakwaterOptions>
  /** Told what the worker does with the records it does not serve now (for the demo's story). */
  readonly observe?: RigObserver
}

export interface RigObserver {
  onInvoke?(records: number): void
  onRedeliver?(seconds: number): void
  onRequeue?(requestId: string, seconds: number): void
}

/** The request queue, telling `observe` what the worker asks of it. */
class ObservedQueue extends RequestQueue {
  readonly #observe: RigObserver
  constructor(options: ConstructorParameters<typeof RequestQueue>[0], observe: RigObserver) {
    super(options)
    this.#observe = observe
  }

  override async redeliverIn(receiptHandle: string, seconds: number): Promise<void> {
    this.#observe.onRedeliver?.(seconds)
    await super.redeliverIn(receiptHandle, seconds)
  }

  override async requeue(request: QueuedRequest, seconds: number): Promise<void> {
    this.#observe.onRequeue?.(request.id, seconds)
    await super.requeue(request, seconds)
  }
}

/**
 * Requests the functions made, per service and operation (`SendMessage`, `PutItem`, …). `ReceiveMessage` counts the
 * mapping's polls, empty ones included (this one long-polls 1 s at a time; Lambda's polls 20 s): the bench counts the
 * receives that returned messages instead (`mapping.stats.invocations`).
 */
export type RequestCounts = Record<'sqs' | 'dynamodb' | 's3', Map<string, number>>

export interface QueueRig {
  /** The request function (HTTP API events). */
  readonly front: (event: unknown, context: Context) => Promise<unknown>
  /** `GET /requests/{id}`. */
  readonly status: (event: { pathParameters: { id: string } }) => Promise<{ statusCode: number; body: string }>
  readonly mapping: EventSourceMapping
  readonly counts: RequestCounts
  /** Messages on the request queue and on its DLQ, visible or in flight. */
  depth(): Promise<{ queue: number; dlq: number }>
  stop(): Promise<void>
}

/** An initialize-step middleware counting every request by operation into `into`. */
export const counter = (into: Map<string, number>) =>
  <I extends object, O extends object>(next: InitializeHandler<I, O>, context: HandlerExecutionContext) =>
    (args: InitializeHandlerArguments<I>) => {
      const op = (context.commandName ?? 'unknown').replace(/Command$/, '')
      into.set(op, (into.get(op) ?? 0) + 1)
      return next(args)
    }
export const COUNTER = { step: 'initialize', name: 'queueRigCounter' } as const

export async function startQueueRig(options: QueueRigOptions): Promise<QueueRig> {
  const { bedrock, dynamo, worker = 'breakwater', maximumConcurrency = 2, maxReceiveCount = 5 } = options
  const visibility = options.visibilityTimeoutSeconds ?? (worker === 'plain' ? 30 : 60)
  const server = await startQueueServer()
  const counts: RequestCounts = { sqs: new Map(), dynamodb: new Map(), s3: new Map() }
  const admin = new SQSClient({ endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS })
  const sqs = new SQSClient({ endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 })
  const s3 = new S3Client({ endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true })
  const ddb = dynamo.client()
  sqs.middlewareStack.add(counter(counts.sqs), COUNTER)
  s3.middlewareStack.add(counter(counts.s3), COUNTER)
  ddb.middlewareStack.add(counter(counts.dynamodb), COUNTER)
  const admin3 = new S3Client({ endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true })

  const dlqUrl = (await admin.send(new CreateQueueCommand({ QueueName: 'requests-dlq' }))).QueueUrl ?? ''
  const queueUrl = (await admin.send(new CreateQueueCommand({
    QueueName: 'requests',
    Attributes: {
      VisibilityTimeout: String(visibility),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: `arn:aws:sqs:${REGION}:000000000000:requests-dlq`, maxReceiveCount: String(maxReceiveCount),
      }),
    },
  }))).QueueUrl ?? ''
  const bucketName = 'breakwater-results'
  await admin3.send(new CreateBucketCommand({ Bucket: bucketName }))
  const [resultsTable, idempotencyTable, breakerTable] = [await dynamo.newTable(), await dynamo.newTable(), await dynamo.newTable()]

  const queue = new ObservedQueue({ queueUrl, deadLetterQueueUrl: dlqUrl, sqs }, options.observe ?? {})
  const results = new ResultsStore({ tableName: resultsTable, bucketName, dynamodb: ddb, s3 })
  const preset = {
    routes: options.route ?? { default: [`${PRIMARY}@us-east-1`, `${PRIMARY}@us-west-2`] },
    client: { clientConfig: fakeClientConfig(bedrock) },
    breaker: { tableName: breakerTable, dynamodb: { client: ddb } },
    backoff: { baseMs: 20 },
    ...options.stack,
  }
  const front = createRequestHandler({ ...preset, queue, results })
  let invocations = 0
  const idempotency = new DynamoDBPersistenceLayer({ tableName: idempotencyTable, keyAttr: 'pk', sortKeyAttr: 'sk', awsSdkV3Client: ddb })
  const mapping = new EventSourceMapping({
    sqs, queueUrl, maximumConcurrency,
    context: () => lambdaContext({ timeoutMs: 30_000, requestId: `worker-${++invocations}` }),
    container: () => {
      const handler = worker === 'plain'
        ? createPlainWorker({ ...preset, results, idempotency })
        : createWorkerHandler({ ...preset, queue, results, idempotency })
      return async (event: SQSEvent, context: Context) => {
        options.observe?.onInvoke?.(event.Records.length)
        return (await handler(event, context)) as SQSBatchResponse
      }
    },
  })
  // The status function reads through a client of its own: how often a caller polls is not the queue path's cost.
  const reader = new ResultsStore({ tableName: resultsTable, bucketName, dynamodb: dynamo.client(), s3: admin3 })
  const status = createStatusHandler({ results: reader })

  const depthOf = async (url: string): Promise<number> => {
    const { Attributes: a = {} } = await admin.send(new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }))
    return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0)
      + Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  }

  return {
    front: (event, context) => front(event, context),
    status: async (event) => (await status(event)) as { statusCode: number; body: string },
    mapping,
    counts,
    depth: async () => ({ queue: await depthOf(queueUrl), dlq: await depthOf(dlqUrl) }),
    async stop() {
      await mapping.stop()
      for (const c of [admin, sqs, s3, admin3]) c.destroy()
      await server.stop()
    },
  }
}
