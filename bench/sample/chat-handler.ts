/**
 * A sample chat handler, written the way a Breakwater user would: parse the request, call
 * `context.bedrock.converse(...)`, return a 200 shaped for the caller. Everything that goes wrong upstream is
 * Breakwater's to handle: a bad request becomes a 400 (BadRequestError), an overlong prompt a 413, an outage a 503
 * with Retry-After. SQS batches are processed record by record and report their failures for redelivery.
 *
 * `createHandler(options)` takes the preset's options, so the demo, tests and benches can point the clients at a
 * fake Bedrock and inject a clock.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import middy from '@middy/core'
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { breakwater, type BreakwaterContext, type BreakwaterOptions, type BedrockInvoker } from '../../src/index.js'
import {
  albOk, directOk, httpBody, httpOk, parseChatRequest, sourceOf, toMessages,
  type ChatAnswer, type ChatRequest,
} from './chat-request.js'

export const SYSTEM_PROMPT = 'You are the support assistant of an online store. Answer in at most three sentences. ' +
  'If you do not know an order detail, say so instead of guessing.'

export interface ChatHandlerOptions extends BreakwaterOptions {
  /** The system prompt. Default {@link SYSTEM_PROMPT}. */
  readonly system?: string
  /** Output tokens asked for. Default 1024 (a route's smaller step may cap it lower). */
  readonly maxTokens?: number
}

export function createHandler(options: ChatHandlerOptions) {
  const { system = SYSTEM_PROMPT, maxTokens = 1024, ...preset } = options
  const { logger, metrics } = preset

  const ask = async (bedrock: BedrockInvoker, request: ChatRequest, signal: AbortSignal): Promise<ChatAnswer> => {
    const reply = await bedrock.converse({
      system: [{ text: system }],
      messages: toMessages(request),
      inferenceConfig: { maxTokens, temperature: 0.3 },
    }, { signal })
    return { reply: reply.text, model: reply.served.model, region: reply.served.region, degraded: reply.served.degraded }
  }

  /** Each record on its own: one failure does not fail the batch; failed ones go back to the queue. */
  const processBatch = async (event: SQSEvent, bedrock: BedrockInvoker, signal: AbortSignal): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchItemFailure[] = []
    for (const record of event.Records) {
      if (signal.aborted) {
        // Out of time: leave the rest for redelivery rather than start calls that cannot finish.
        batchItemFailures.push({ itemIdentifier: record.messageId })
        continue
      }
      try {
        const answer = await ask(bedrock, parseChatRequest(record.body), signal)
        logger?.info('chat record answered', { messageId: record.messageId, model: answer.model, degraded: answer.degraded })
      } catch (error) {
        const { name, message } = error instanceof Error ? error : new Error(String(error))
        logger?.warn('chat record failed', { messageId: record.messageId, errorType: name, error: message })
        batchItemFailures.push({ itemIdentifier: record.messageId })
      }
    }
    return { batchItemFailures }
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
        return processBatch(event as SQSEvent, bedrock, signal)
      case 'direct':
        return directOk(await ask(bedrock, parseChatRequest(event), signal))
      case 'alb':
      case 'http': {
        const answer = await ask(bedrock, parseChatRequest(httpBody(event as { body?: string | null; isBase64Encoded?: boolean })), signal)
        return source === 'alb' ? albOk(answer, event as Parameters<typeof albOk>[1]) : httpOk(answer)
      }
    }
  })
}

export type ChatHandler = ReturnType<typeof createHandler>
