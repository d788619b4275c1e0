/**
 * The three functions of the queue path, written as a Breakwater user would:
 *
 * - the request function: the sample chat behind `breakwater()`, plus `acceptAndQueue()` — a request marked
 *   `Prefer: respond-async`, or one no target can serve now, is queued and answered 202 with its status URL;
 * - the worker: an SQS-triggered function behind the same stack, each record through Powertools' batch utility and
 *   idempotency (keyed on the request id, so a duplicated message never pays Bedrock twice) and `queueWorker()`
 *   (an unserved record comes back when its targets can next serve, a caller fault goes to the DLQ at once);
 * - the status function: `GET /requests/{id}`.
 *
 * The worker's breaker shares the request function's table: when the fleet's breaker half-opens, the probe ramp is
 * what lets records through. Its `backoff.reopenWaitMs` is 0: the queue waits for a reopen, not the Lambda.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency'
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import middy from '@middy/core'
import type { Context, SQSEvent } from 'aws-lambda'
import { breakwater, type BreakwaterContext } from '../../src/index.js'
import { acceptAndQueue, queueWorker, requestStatus, type QueuedRequest, type RequestQueue, type ResultsStore } from '../../src/queue.js'
import { createHandler, SYSTEM_PROMPT, type ChatHandlerOptions } from '../chat/chat-handler.js'
import { parseChatRequest, toMessages, type ChatAnswer } from '../chat/chat-request.js'

export interface QueuePathOptions {
  readonly queue: RequestQueue
  readonly results: ResultsStore
}

export function createRequestHandler(options: ChatHandlerOptions & QueuePathOptions) {
  const { queue, results, ...chat } = options
  return createHandler(chat).use(acceptAndQueue({ queue, results, metrics: chat.metrics }))
}

export interface WorkerOptions extends ChatHandlerOptions, QueuePathOptions {
  /** Powertools idempotency's persistence (a DynamoDBPersistenceLayer): one Bedrock call per request id. */
  readonly idempotency: BasePersistenceLayer
}

export function createWorkerHandler(options: WorkerOptions) {
  const { queue, results, idempotency, ...preset } = options
  const processor = new BatchProcessor(EventType.SQS)
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'id', expiresAfterSeconds: 86_400 })

  const handler = middy<unknown, unknown, Error, Context>()
  // Powertools first, Breakwater last, as the chat function has them: the worker's metrics are flushed too.
  if (preset.logger) handler.use(injectLambdaContext(preset.logger))
  if (preset.metrics) handler.use(logMetrics(preset.metrics))
  const stack = breakwater({ ...preset, backoff: { reopenWaitMs: 0, ...preset.backoff } })
  return handler.use(stack).handler(async (event, context, { signal }) => {
    const { bedrock } = context as BreakwaterContext
    const ask = makeIdempotent((request: QueuedRequest) => answerQueued(bedrock, request, signal), {
      persistenceStore: idempotency, config, keyPrefix: 'queued-request', dataIndexArgument: 0,
    })
    config.registerLambdaContext(context)
    const serveRecord = queueWorker({ queue, results, serve: ask, metrics: preset.metrics })
    return processPartialResponse(event as SQSEvent, serveRecord, processor, { context, processInParallel: false })
  })
}

/** What the sample chat answers a queued request: the synchronous handler's call, on the queued payload. */
export async function answerQueued(
  bedrock: BreakwaterContext['bedrock'], request: QueuedRequest, signal: AbortSignal,
): Promise<ChatAnswer> {
  const reply = await bedrock.converse({
    system: [{ text: SYSTEM_PROMPT }], messages: toMessages(parseChatRequest(request.payload)), inferenceConfig: { maxTokens: 1024 },
  }, { signal })
  return { reply: reply.text, model: reply.served.model, region: reply.served.region, degraded: reply.served.degraded }
}

export const createStatusHandler = (options: Pick<QueuePathOptions, 'results'>) => requestStatus(options)
