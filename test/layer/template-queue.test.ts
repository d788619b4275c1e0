/**
 * template.yaml's accept-and-queue path against the code that runs in it. The AWS calls each function makes are not
 * listed by hand: the real RequestQueue and ResultsStore are driven, method by method, with clients that record
 * each command, and the methods driven per function are the ones its middleware's options type picks (an exhaustive
 * record of them, so a method added to a Pick fails to compile here until it is driven). Those calls, as IAM
 * actions on template resources, must be exactly what the function's own policy grants. The tables, the bucket,
 * the queue's redrive and the worker's event source are checked against the same code: key and TTL attribute
 * names, the key prefix of large answers, the redelivery policy's longest life.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { S3Client } from '@aws-sdk/client-s3'
import type { SQSClient } from '@aws-sdk/client-sqs'
import type middy from '@middy/core'
import { IDEMPOTENCY_TABLE_KEYS, RESULTS_TTL_SECONDS } from '../../examples/functions/config.js'
import {
  acceptAndQueue, DEFAULT_REDELIVERY_POLICY, planRedelivery, RequestQueue, ResultsStore,
  type AcceptAndQueueOptions, type QueuedRequest, type QueueWorkerOptions, type RequestStatusOptions,
} from '../../src/queue.js'
import { asArray, isObject, type JsonObject } from '../../tools/local-invoke/cfn-yaml.js'
import { httpApiEvent } from '../support/events.js'
import { defaultOf, effective, eventOf, grants, ofType, props, resource, ROOT, statementsOf } from './template-support.js'

interface Recorded { readonly service: 'sqs' | 'dynamodb' | 's3'; readonly name: string; readonly input: Record<string, unknown> }

/** A client that records each command and answers what the store needs to go on (a done item whose answer is in S3). */
function recorder(service: Recorded['service'], calls: Recorded[]): { send: (command: object) => Promise<unknown> } {
  return {
    send: async (command) => {
      const { input } = command as { input: Record<string, unknown> }
      calls.push({ service, name: command.constructor.name.replace(/Command$/, ''), input })
      if (command.constructor.name === 'GetItemCommand') {
        const item = { status: { S: 'done' }, acceptedAt: { N: '1' }, resultKey: { S: 'results/r.json' } }
        return { Item: { pk: { S: 'r-12345678' }, sk: { S: 'result' }, ...item } }
      }
      if (command.constructor.name === 'GetObjectCommand') return { Body: { transformToString: async () => '"answer"' } }
      return {}
    },
  }
}

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/RequestQueue'
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/RequestDeadLetterQueue'
const REQUEST: QueuedRequest = { v: 1, id: 'r-12345678', acceptedAt: 1_000, why: 'requested', payload: { prompt: 'hi' } }

/** The store and queue with recording clients; resources are named after their logical IDs in template.yaml. */
function parts(calls: Recorded[]): { queue: RequestQueue; results: ResultsStore } {
  const queue = new RequestQueue({ queueUrl: QUEUE_URL, deadLetterQueueUrl: DLQ_URL, sqs: recorder('sqs', calls) as unknown as SQSClient })
  const results = new ResultsStore({
    tableName: 'ResultsTable', bucketName: 'ResultsBucket', inlineLimitBytes: 1, ttlSeconds: RESULTS_TTL_SECONDS,
    dynamodb: recorder('dynamodb', calls) as unknown as DynamoDBClient, s3: recorder('s3', calls) as unknown as S3Client,
  })
  return { queue, results }
}

/** Drives every method named by K of the part, once. */
type Drive<T> = (part: T) => Promise<unknown>
type Drivers<T, K extends keyof T> = Record<K, Drive<T>>
type WorkerOptions = QueueWorkerOptions<unknown>

const USES = {
  QueueRequestFunction: {
    queue: { send: (q) => q.send(REQUEST) } satisfies Drivers<RequestQueue, keyof AcceptAndQueueOptions['queue']>,
    results: { accepted: (r) => r.accepted(REQUEST.id, REQUEST.acceptedAt) } satisfies
      Drivers<ResultsStore, keyof NonNullable<AcceptAndQueueOptions['results']>>,
  },
  QueueWorkerFunction: {
    queue: {
      redeliverIn: (q) => q.redeliverIn('receipt', 30),
      requeue: (q) => q.requeue(REQUEST, 30),
      deadLetter: (q) => q.deadLetter('{}', REQUEST.id, 'bad-request'),
    } satisfies Drivers<RequestQueue, keyof WorkerOptions['queue']>,
    results: {
      get: (r) => r.get(REQUEST.id),
      done: (r) => r.done(REQUEST.id, 1, { reply: 'a large answer' }, 2),
      failed: (r) => r.failed(REQUEST.id, 1, 'x', 2),
    } satisfies Drivers<ResultsStore, keyof WorkerOptions['results']>,
  },
  RequestStatusFunction: {
    queue: {} satisfies Drivers<RequestQueue, never>,
    results: { get: (r) => r.get(REQUEST.id) } satisfies Drivers<ResultsStore, keyof RequestStatusOptions['results']>,
  },
} as const

/** A recorded call as `service:Action on <logical id>` (an S3 key as `<bucket>/<prefix>/*`). */
function asGrant({ service, name, input }: Recorded): string {
  if (service === 'sqs') return `sqs:${name} on ${String(input.QueueUrl).split('/').pop() ?? ''}`
  if (service === 'dynamodb') return `dynamodb:${name} on ${String(input.TableName)}`
  return `s3:${name} on ${String(input.Bucket)}/${String(input.Key).replace(/[^/]*$/, '*')}`
}

async function callsOf(id: keyof typeof USES): Promise<Recorded[]> {
  const calls: Recorded[] = []
  const { queue, results } = parts(calls)
  const uses: { queue: Record<string, Drive<RequestQueue>>; results: Record<string, Drive<ResultsStore>> } = USES[id]
  for (const drive of Object.values(uses.queue)) await drive(queue)
  for (const drive of Object.values(uses.results)) await drive(results)
  return calls
}

/** The DynamoDB commands Powertools' DynamoDBPersistenceLayer sends (read from its source). */
function idempotencyActions(): string[] {
  const file = join(ROOT, 'node_modules/@aws-lambda-powertools/idempotency/lib/esm/persistence/DynamoDBPersistenceLayer.js')
  return [...new Set([...readFileSync(file, 'utf8').matchAll(/new (\w+)Command\(/g)].map((m) => `dynamodb:${m[1] ?? ''}`))]
}

const fn = (id: string): JsonObject => resource(id)
const BEDROCK_AND_BREAKER = ['BedrockInvokePolicy', 'BreakerTableAccessPolicy']

describe('template.yaml: the queue functions are granted exactly the calls their code makes', () => {
  it.each(Object.keys(USES) as (keyof typeof USES)[])('%s', async (id) => {
    const wanted = new Set((await callsOf(id)).map(asGrant))
    if (id === 'QueueWorkerFunction') for (const action of idempotencyActions()) wanted.add(`${action} on IdempotencyTable`)
    expect(grants(statementsOf(fn(id), BEDROCK_AND_BREAKER))).toEqual([...wanted].sort())
  })

  it('the worker\'s idempotency grants are the four calls of Powertools\' DynamoDB persistence layer', () => {
    expect(idempotencyActions().sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'])
  })

  it('the request function and the worker call Bedrock and share the breaker as the chat does; the status function neither', () => {
    const refs = (id: string): string[] => asArray(props(fn(id)).Policies).map((p) => String((p as JsonObject).Ref))
    for (const id of ['QueueRequestFunction', 'QueueWorkerFunction']) expect(refs(id)).toEqual(expect.arrayContaining(BEDROCK_AND_BREAKER))
    expect(refs('RequestStatusFunction')).toEqual(['RequestStatusPolicy'])
  })
})

describe('template.yaml: the request queue and the worker\'s event source', () => {
  const worker = effective(fn('QueueWorkerFunction'))
  const sqs = eventOf(fn('QueueWorkerFunction'), 'SQS')
  const queue = props(resource('RequestQueue'))

  it('the worker is triggered by the request queue, reports batch item failures, in small batches, capped by a parameter', () => {
    expect(sqs.Queue).toEqual({ 'Fn::GetAtt': ['RequestQueue', 'Arn'] })
    expect(sqs.FunctionResponseTypes).toEqual(['ReportBatchItemFailures'])
    expect(Number(sqs.BatchSize)).toBeGreaterThanOrEqual(1)
    expect(Number(sqs.BatchSize)).toBeLessThanOrEqual(10)
    const cap = (sqs.ScalingConfig as JsonObject).MaximumConcurrency
    expect(cap).toEqual({ Ref: 'QueueWorkerConcurrency' })
    expect(defaultOf(cap)).toBe(5)
  })

  it('the visibility timeout is at least six times the worker\'s timeout', () => {
    expect(Number(queue.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * Number(worker.Timeout))
  })

  it('waiting out an outage never reaches maxReceiveCount (a message is requeued first); retention outlasts a request', () => {
    // The receives of one message the worker keeps unserved: made visible again until it is requeued as a copy.
    const planAt = (receiveCount: number): string => planRedelivery(
      { kind: 'not-now', retryAfterSeconds: 1 }, { ageSeconds: receiveCount, receiveCount }, DEFAULT_REDELIVERY_POLICY, () => 0).action
    let receives = 1
    while (planAt(receives) === 'redeliver') receives += 1
    expect(planAt(receives)).toBe('requeue')
    const redrive = queue.RedrivePolicy as JsonObject
    expect(redrive.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['RequestDeadLetterQueue', 'Arn'] })
    expect(Number(redrive.maxReceiveCount)).toBeGreaterThan(receives)
    const { maxAgeSeconds, maxDelaySeconds } = DEFAULT_REDELIVERY_POLICY
    expect(Number(queue.MessageRetentionPeriod)).toBeGreaterThanOrEqual(maxAgeSeconds + maxDelaySeconds)
    expect(queue.SqsManagedSseEnabled).toBe(true)
    expect(props(resource('RequestDeadLetterQueue')).SqsManagedSseEnabled).toBe(true)
  })

  it('an alarm fires on the first message in the request dead-letter queue', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => props(a))
      .filter((a) => JSON.stringify(a.Dimensions ?? null).includes('"RequestDeadLetterQueue"'))
    expect(alarms).toEqual([expect.objectContaining({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold',
    })])
  })
})

describe('template.yaml: the routes, the results table, the idempotency table and the bucket', () => {
  it('POST /requests and GET /requests/{id} on the chat\'s HTTP API; the 202\'s status URL is the status route', async () => {
    const route = (id: string): JsonObject => eventOf(fn(id), 'HttpApi')
    expect(route('QueueRequestFunction')).toEqual({ ApiId: { Ref: 'ChatHttpApi' }, Path: '/requests', Method: 'POST' })
    expect(route('RequestStatusFunction')).toEqual({ ApiId: { Ref: 'ChatHttpApi' }, Path: '/requests/{id}', Method: 'GET' })
    const front = acceptAndQueue({ queue: { send: async () => undefined }, newId: () => 'r-12345678' })
    const event = { ...httpApiEvent(), headers: { ...httpApiEvent().headers, prefer: 'respond-async' } }
    const reply = await (front.before as middy.MiddlewareFn)({ event } as unknown as middy.Request) as { headers: Record<string, string> }
    expect(reply.headers.location).toMatch(new RegExp(`^${String(route('RequestStatusFunction').Path).replace('{id}', '[\\w-]+')}$`))
  })

  it('the results table has the store\'s key and TTL attribute, on demand, encrypted', async () => {
    const calls: Recorded[] = []
    const { results } = parts(calls)
    await results.get(REQUEST.id)
    await results.accepted(REQUEST.id, 1_000_000)
    const input = (name: string): Record<string, unknown> | undefined => calls.find((c) => c.name === name)?.input
    const [get, put] = [input('GetItem'), input('PutItem')]
    const key = Object.entries(get?.Key as Record<string, object>)
    const table = props(resource('ResultsTable'))
    expect(table.KeySchema).toEqual(key.map(([name], i) => ({ AttributeName: name, KeyType: i === 0 ? 'HASH' : 'RANGE' })))
    expect(table.AttributeDefinitions).toEqual(key.map(([name, v]) => ({ AttributeName: name, AttributeType: Object.keys(v)[0] })))
    const expiry = String(1_000 + RESULTS_TTL_SECONDS)
    const ttl = Object.entries(put?.Item as Record<string, { N?: string }>).find(([, v]) => v.N === expiry)?.[0]
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: ttl, Enabled: true })
    expect(table).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', SSESpecification: { SSEEnabled: true } })
  })

  it('the idempotency table has the key and TTL attribute the worker\'s persistence layer is given', () => {
    const table = props(resource('IdempotencyTable'))
    expect(table.KeySchema).toEqual([{ AttributeName: IDEMPOTENCY_TABLE_KEYS.keyAttr, KeyType: 'HASH' }])
    expect(table.AttributeDefinitions).toEqual([{ AttributeName: IDEMPOTENCY_TABLE_KEYS.keyAttr, AttributeType: 'S' }])
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: IDEMPOTENCY_TABLE_KEYS.expiryAttr, Enabled: true })
    expect(table).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', SSESpecification: { SSEEnabled: true } })
  })

  it('the bucket: encrypted, private, TLS only, and large answers expire a day after their table item', async () => {
    const bucket = props(resource('ResultsBucket'))
    const sse = ((bucket.BucketEncryption as JsonObject).ServerSideEncryptionConfiguration as JsonObject[])[0]
    expect(sse?.ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' })
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    })
    const calls: Recorded[] = []
    await parts(calls).results.done(REQUEST.id, 1, { reply: 'a large answer' }, 2)
    const prefix = String(calls.find((c) => c.service === 's3')?.input.Key).replace(/[^/]*$/, '')
    const rules = (bucket.LifecycleConfiguration as JsonObject).Rules as JsonObject[]
    const expiring = rules.find((r) => r.Prefix === prefix && r.Status === 'Enabled')
    expect(Number(expiring?.ExpirationInDays)).toBeGreaterThanOrEqual(Math.ceil(RESULTS_TTL_SECONDS / 86_400) + 1)
    const [[, policy] = ['', {}]] = ofType('AWS::S3::BucketPolicy')
    expect(props(policy as JsonObject).Bucket).toEqual({ Ref: 'ResultsBucket' })
    const statements = asArray((props(policy as JsonObject).PolicyDocument as JsonObject).Statement).filter(isObject)
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Deny', Principal: '*', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      Resource: [{ 'Fn::GetAtt': ['ResultsBucket', 'Arn'] }, { 'Fn::Sub': '${ResultsBucket.Arn}/*' }],
    }))
  })
})
