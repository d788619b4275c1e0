/**
 * The sample chat, streamed: a Middy handler in `executionModeStreamifyResponse` behind a function URL in
 * RESPONSE_STREAM mode. It parses the request like the buffered chat, calls `context.bedrock.converseStream(...)`,
 * and returns `sseResponse(reply)`: the client reads the answer token by token as server-sent events.
 *
 * What can go wrong, and who answers: a bad request is a 400 and an outage before the first token a 503 with
 * Retry-After (gracefulDegradation, in the preset: the handler has not returned, so nothing was sent yet); a stream
 * that breaks off later restarts on the next target (an `event: restart` first) or, when no target can finish it,
 * ends with a polite `event: error` (sseResponse).
 *
 * `createStreamHandler(options)` takes the preset's options, so tests can point the clients elsewhere.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import middy from '@middy/core'
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse'
import {
  breakwater, sseResponse, type BreakwaterContext, type BreakwaterOptions, type ConverseStreamOptions,
} from '../../src/index.js'
import { httpBody, parseChatRequest, SYSTEM_PROMPT, toMessages } from './chat-request.js'

export interface ChatStreamHandlerOptions extends BreakwaterOptions {
  /** The system prompt. Default {@link SYSTEM_PROMPT}. */
  readonly system?: string
  /** Output tokens asked for. Default 1024 (a route's smaller step may cap it lower). */
  readonly maxTokens?: number
  /** converseStream's limits and interruption policy (`restart` by default). */
  readonly stream?: Pick<ConverseStreamOptions, 'firstTokenTimeoutMs' | 'idleTimeoutMs' | 'interrupted'>
}

export function createStreamHandler(options: ChatStreamHandlerOptions) {
  const { system = SYSTEM_PROMPT, maxTokens = 1024, stream = {}, ...preset } = options
  const { logger, metrics } = preset

  const handler = middy<unknown, unknown, Error, BreakwaterContext>({ executionMode: executionModeStreamifyResponse })
  // Powertools first, Breakwater last: the preset ends with gracefulDegradation(), which must run first on error.
  if (logger) handler.use(injectLambdaContext(logger))
  if (metrics) handler.use(logMetrics(metrics))
  return handler.use(breakwater(preset)).handler(async (event, context, { signal }) => {
    const request = parseChatRequest(httpBody(event as { body?: unknown; isBase64Encoded?: unknown }))
    // Resolves at the first token: every failure before it is the cascade's, then gracefulDegradation's.
    const reply = await context.bedrock.converseStream({
      system: [{ text: system }],
      messages: toMessages(request),
      inferenceConfig: { maxTokens, temperature: 0.3 },
    }, { ...stream, signal })
    return sseResponse(reply, { requestId: context.awsRequestId, logger, metrics })
  })
}

export type ChatStreamHandler = ReturnType<typeof createStreamHandler>
