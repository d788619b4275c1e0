/**
 * SQS batches the documented way: Powertools' BatchProcessor runs one record handler per record through
 * `context.bedrock`, and `processPartialResponse()` reports exactly the records that failed in `batchItemFailures`,
 * so SQS redelivers those and only those. A record that fails does not fail the batch (the Lambda returns normally);
 * a batch in which every record failed reaches gracefulDegradation, which reports every messageId.
 */
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import middy from '@middy/core'
import type { SQSEvent, SQSRecord } from 'aws-lambda'
import { BadRequestError, breakwater, type BreakwaterContext, type BreakwaterOptions } from '../../src/index.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { lambdaContext, sqsEvent } from '../support/events.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { at, EAST, regionsOf, user, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

/** Prompts longer than this get a caller-fault ValidationException from the fake (one call, no retry, no fallback). */
const FAIL_OVER_CHARS = 40
const GOOD = 'Where is my order?'
const BAD = 'please fail: this prompt is longer than the fake Bedrock accepts'

/** A batch whose records carry the given prompts, messageIds m-1..m-n. */
function batch(...prompts: string[]): SQSEvent {
  const event = sqsEvent(...prompts.map((_, i) => `m-${i + 1}`))
  event.Records.forEach((record, i) => { record.body = JSON.stringify({ prompt: prompts[i] }) })
  return event
}

function promptOf(record: SQSRecord): string {
  let payload: unknown
  try {
    payload = JSON.parse(record.body)
  } catch (cause) {
    throw new BadRequestError('The message body is not valid JSON', cause)
  }
  const prompt = (payload as { prompt?: unknown } | null)?.prompt
  if (typeof prompt !== 'string' || prompt === '') throw new BadRequestError('"prompt" is required')
  return prompt
}

/** The handler docs/sqs-and-idempotency.md documents, with what each record handler answered recorded for the assertions. */
function sqsHandler(options: { processInParallel?: boolean; logger?: Logger; metrics?: Metrics } = {}) {
  const answered = new Map<string, string>()
  const settings: { -readonly [K in keyof BreakwaterOptions]: BreakwaterOptions[K] } = {
    routes: { default: [at(EAST), at(WEST)] },
    client: { clientConfig: fakeClientConfig(server) },
    backoff: { baseMs: 1 },
  }
  if (options.logger) settings.logger = options.logger
  if (options.metrics) settings.metrics = options.metrics
  const processor = new BatchProcessor(EventType.SQS)
  const handler = middy(async (event: SQSEvent, context: BreakwaterContext, { signal }: { signal: AbortSignal }) => {
    const recordHandler = async (record: SQSRecord): Promise<string> => {
      const reply = await context.bedrock.converse({ messages: [user(promptOf(record))] }, { signal })
      answered.set(record.messageId, reply.text)
      return reply.text
    }
    return processPartialResponse(event, recordHandler, processor, {
      context, processInParallel: options.processInParallel ?? false,
    })
  }).use(breakwater(settings))
  const invoke = async (event: SQSEvent): Promise<unknown> => handler(event, lambdaContext() as BreakwaterContext)
  return { invoke, answered }
}

describe('SQS batch through processPartialResponse', () => {
  beforeEach(() => { server.plan([{ kind: 'validation', whenLongerThan: { chars: FAIL_OVER_CHARS } }]) })

  it.each([
    ['sequentially', false],
    ['in parallel', true],
  ])('5 records, 2 failing (%s) → exactly those 2 in batchItemFailures, the other 3 answered', async (_how, processInParallel) => {
    const sqs = sqsHandler({ processInParallel })
    const result = await sqs.invoke(batch(GOOD, BAD, GOOD, BAD, GOOD))

    // In parallel, failures are listed in the order they happen.
    const failures = (result as { batchItemFailures: { itemIdentifier: string }[] }).batchItemFailures
    expect(Object.keys(result as object)).toEqual(['batchItemFailures'])
    expect(failures.map((f) => f.itemIdentifier).sort()).toEqual(['m-2', 'm-4'])
    expect([...sqs.answered.keys()].sort()).toEqual(['m-1', 'm-3', 'm-5'])
    expect(sqs.answered.get('m-1')).toBe(`echo: ${GOOD} [${at(EAST)}]`)
    // One call per record: a caller fault is not retried and not sent to another region.
    expect(server.calls).toHaveLength(5)
    expect(regionsOf(server.calls)).toEqual([EAST, EAST, EAST, EAST, EAST])
  })

  it('a malformed record fails alone, before any Bedrock call', async () => {
    const sqs = sqsHandler()
    const event = batch(GOOD, GOOD, GOOD)
    const second = event.Records[1] as SQSRecord
    second.body = 'not json'
    expect(await sqs.invoke(event)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] })
    expect(server.calls).toHaveLength(2)
  })

  it('a healthy batch → empty batchItemFailures (SQS deletes every message)', async () => {
    const sqs = sqsHandler()
    expect(await sqs.invoke(batch(GOOD, GOOD, GOOD, GOOD, GOOD))).toEqual({ batchItemFailures: [] })
    expect(sqs.answered.size).toBe(5)
  })

  it('a record whose targets are all down fails alone; the others are still answered', async () => {
    server.plan([{ kind: 'unavailable', whenLongerThan: { chars: FAIL_OVER_CHARS } }])
    const sqs = sqsHandler()
    const result = await sqs.invoke(batch(GOOD, BAD, GOOD))
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] })
    expect([...sqs.answered.keys()].sort()).toEqual(['m-1', 'm-3'])
  })

  it('every record failing → Powertools throws FullBatchFailureError, gracefulDegradation reports every messageId', async () => {
    server.plan([{ kind: 'unavailable' }])
    const logger = new Logger({ serviceName: 'sqs-test' })
    const metrics = new Metrics({ namespace: 'SqsTest', serviceName: 'sqs-test' })
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined)
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined)
    jest.spyOn(logger, 'info').mockImplementation(() => undefined)
    const added = jest.spyOn(metrics, 'addMetric').mockImplementation(() => metrics)
    const sqs = sqsHandler({ logger, metrics })
    const result = await sqs.invoke(batch(GOOD, GOOD, GOOD))
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }, { itemIdentifier: 'm-3' }],
    })
    expect(sqs.answered.size).toBe(0)
    // Classified by its records: an outage (503, degraded), not a bug (500 InternalError).
    expect(logged).toHaveBeenCalledWith('breakwater replied with a failure', expect.objectContaining({
      errorType: 'AllTargetsFailedError', statusCode: 503, source: 'sqs',
    }))
    expect(added.mock.calls.filter(([name]) => name === 'DegradedResponses')).toHaveLength(1)
  })

  it('every record a caller fault → still every messageId, logged as the 400 it is', async () => {
    const logger = new Logger({ serviceName: 'sqs-test' })
    const warned = jest.spyOn(logger, 'warn').mockImplementation(() => undefined)
    const sqs = sqsHandler({ logger })
    expect(await sqs.invoke(batch(BAD, BAD))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }] })
    expect(warned).toHaveBeenCalledWith('breakwater replied with a failure', expect.objectContaining({
      errorType: 'CallerFaultError', statusCode: 400, source: 'sqs',
    }))
  })
})
