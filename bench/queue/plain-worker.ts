/**
 * The queue bench's baseline worker: plain SQS redelivery. The same breakwater() stack, Powertools batch processing
 * and idempotency as the example's worker (examples/queue/queue-handlers.ts), but a record that is not served is
 * only reported as a batch item failure: SQS hands it back after the queue's visibility timeout, whatever the
 * breaker knows, and the redrive policy moves it to the DLQ after `maxReceiveCount` receives.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency'
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence'
import middy from '@middy/core'
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda'
import { breakwater, type BreakwaterContext, type BreakwaterOptions } from '../../src/index.js'
import { readEnvelope, type QueuedRequest, type ResultsStore } from '../../src/queue.js'
import { answerQueued } from '../../examples/queue/queue-handlers.js'

export interface PlainWorkerOptions extends BreakwaterOptions {
  readonly results: ResultsStore
  readonly idempotency: BasePersistenceLayer
}

export function createPlainWorker(options: PlainWorkerOptions) {
  const { results, idempotency, ...preset } = options
  const processor = new BatchProcessor(EventType.SQS)
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'id', expiresAfterSeconds: 86_400 })
  return middy<unknown, unknown, Error, Context>().use(breakwater({ ...preset, backoff: { reopenWaitMs: 0, ...preset.backoff } }))
    .handler(async (event, context, { signal }) => {
      const { bedrock } = context as BreakwaterContext
      const ask = makeIdempotent((request: QueuedRequest) => answerQueued(bedrock, request, signal), {
        persistenceStore: idempotency, config, keyPrefix: 'queued-request', dataIndexArgument: 0,
      })
      config.registerLambdaContext(context)
      const serve = async (record: SQSRecord): Promise<void> => {
        const request = readEnvelope(record.body)
        await results.done(request.id, request.acceptedAt, await ask(request), Date.now())
      }
      return processPartialResponse(event as SQSEvent, serve, processor, { context, processInParallel: false })
    })
}
