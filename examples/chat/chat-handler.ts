/**
 * A sample chat handler, written the way a Breakwater user would: parse the request, call
 * `context.bedrock.converse(...)`, return a 200 shaped for the caller. Everything that goes wrong upstream is
 * Breakwater's to handle: a bad request becomes a 400 (BadRequestError), an overlong prompt a 413, an outage a 503
 * with Retry-After. SQS batches are processed record by record (Powertools batch) and report their failures for redelivery.
 *
 * `createHandler(options)` takes the preset's options, so the demo, tests and benches can point the clients at a
 * fake Bedrock and inject a clock.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import middy from '@middy/core'
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'
import { breakwater, type BreakwaterContext, type BreakwaterOptions, type BedrockInvoker } from '../../src/index.js'
import {
  albOk, directOk, httpBody, httpOk, parseChatRequest, sourceOf, SYSTEM_PROMPT, toMessages,
  type ChatAnswer, type ChatRequest,
} from './chat-request.js'

export { SYSTEM_PROMPT }

export interface ChatHandlerOptions extends BreakwaterOptions {
  /** The system prompt. Default {@link SYSTEM_PROMPT}. */
  readonly system?: string
  /** Output tokens asked for. Default 1024 (a route's smaller step may cap it lower). */
  readonly maxTokens?: number
}

export function createHandler(options: ChatHandlerOptions) {
  const { system = SYSTEM_PROMPT, maxTokens = 1024, ...preset } = options
  const { logger, metrics } = preset
  const sqsProcessor = new BatchProcessor(EventType.SQS)

  const ask = async (bedrock: BedrockInvoker, request: ChatRequest, signal: AbortSignal): Promise<ChatAnswer> => {
    const reply = await bedrock.converse({
      system: [{ text: system }],
      messages: toMessages(request),
      inferenceConfig: { maxTokens, temperature: 0.3 },
    }, { signal })
    return { reply: reply.text, model: reply.served.model, region: reply.served.region, degraded: reply.served.degraded }
  }

  /**
   * Each record on its own, through Powertools' batch utility: a record whose handler throws is reported in
   * `batchItemFailures` and goes back to the queue; the others are deleted. Sequential, not Powertools' parallel
   * default, so a batch does not fire its records at Bedrock all at once and an aborted invocation starts no new call.
   * When every record fails Powertools throws FullBatchFailureError, and gracefulDegradation reports every messageId.
   */
  const processBatch = (event: SQSEvent, bedrock: BedrockInvoker, context: Context, signal: AbortSignal): Promise<SQSBatchResponse> => {
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      // Out of time: leave this record for redelivery rather than start a call that cannot finish.
      if (signal.aborted) throw new Error('the invocation ran out of time before this record')
      try {
        const answer = await ask(bedrock, parseChatRequest(record.body), signal)
        logger?.info('chat record answered', { messageId: record.messageId, model: answer.model, degraded: answer.degraded })
      } catch (error) {
        // The name only: an upstream or parser message can quote the prompt or the reply.
        logger?.warn('chat record failed', { messageId: record.messageId, errorType: error instanceof Error ? error.name : typeof error })
        throw error
      }
    }
    return processPartialResponse(event, recordHandler, sqsProcessor, { context, processInParallel: false })
  }

  const handler = middy<unknown, unknown, Error, Context>()
  // Powertools first, Breakwater last: the preset ends with gracefulDegradation(), which must run first on error.
  if (logger) handler.use(injectLambdaContext(logger))
  if (metrics) handler.use(logMetrics(metrics))
  return handler.use(breakwater(preset)).handler(async (event, context, { signal }) => {
    const { bedrock } = context as BreakwaterContext
    const source = sourceOf(event)
    switch (source) {
      case 'sqs':
        return processBatch(event as SQSEvent, bedrock, context, signal)
      case 'direct':
        return directOk(await ask(bedrock, parseChatRequest(event), signal))
      case 'alb':
      case 'http': {
        const answer = await ask(bedrock, parseChatRequest(httpBody(event as { body?: unknown; isBase64Encoded?: unknown })), signal)
        return source === 'alb' ? albOk(answer, event as Parameters<typeof albOk>[1]) : httpOk(answer)
      }
    }
  })
}

export type ChatHandler = ReturnType<typeof createHandler>
