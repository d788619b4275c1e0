/**
 * A streamed reply as the body of a Lambda response stream: `sseResponse(reply)` is what a handler built with Middy's
 * `executionModeStreamifyResponse` returns. Middy sends the status and headers as the stream's prelude and pipes the
 * body into Lambda's response stream, event by event, as the model writes.
 *
 * The split with gracefulDegradation: a failure before the handler returns (before the first token, so before the
 * first byte) is still an ordinary error, answered by gracefulDegradation's onError with the usual 503 and
 * Retry-After. Once the body streams, the status line is gone and Middy's onError hooks have run: a failure then
 * (`StreamInterruptedError`, or anything thrown while iterating) ends the body with a last, polite `event: error`,
 * worded and logged by gracefulDegradation's rules — no SDK message, no stack trace, never the prompt.
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import type { Metrics } from '@aws-lambda-powertools/metrics'
import type { Readable } from 'node:stream'
import { countDegraded } from '../aws/observability.js'
import { boolean, methods, number, object, parseOptions, record, string } from '../core/config/index.js'
import { reportError } from '../core/error-report.js'
import type { StreamEventLike } from '../core/stream/events.js'
import type { StreamFinal, StreamRestartEvent, StreamServed } from '../core/stream/reply.js'
import { DEFAULT_BUSY_MESSAGE, DEFAULT_RETRY_AFTER_SECONDS, failureReply, MAX_RETRY_AFTER_SECONDS } from './classify-reply.js'
import { servedSummary, sseEvent } from './sse-events.js'

/** What `sseResponse` reads of a `ConverseStreamReply`. */
export interface StreamedReplyLike extends AsyncIterable<StreamEventLike | StreamRestartEvent> {
  readonly served: StreamServed
  final(): StreamFinal
}

/** Options of {@link sseResponse}. */
export interface SseResponseOptions {
  /**
   * The text of the `event: error` that ends a stream whose upstream broke off (gracefulDegradation's `message`).
   * A caller-fault error keeps its own message, a bug gets a generic one, as in gracefulDegradation's replies.
   * @defaultValue `'The assistant is busy right now. Please try again in a moment.'`
   */
  readonly message?: string
  /** `retryAfterSeconds` of the `event: error`, whole seconds. @defaultValue `5` */
  readonly retryAfterSeconds?: number
  /** Goes into the `event: error` so a user report can be matched with the logs: pass `context.awsRequestId`. */
  readonly requestId?: string
  /** A Powertools Logger: the error that ended a stream is logged once (error level, warn for a caller's fault). */
  readonly logger?: Pick<Logger, 'error' | 'warn'>
  /** Also log upstream error messages (they can quote the prompt or the reply), as gracefulDegradation's option. @defaultValue `false` */
  readonly logErrorMessages?: boolean
  /**
   * A Powertools Metrics: an `event: error` adds `DegradedResponses`, and once the stream ends whatever was added
   * while it streamed (`StreamInterruptions`, …) is published: `logMetrics()` flushed before the body was sent.
   */
  readonly metrics?: Pick<Metrics, 'addMetric' | 'hasStoredMetrics' | 'publishStoredMetrics'>
  /** More response headers (CORS, …), over the SSE ones. */
  readonly headers?: Readonly<Record<string, string>>
}

/** What the streamified handler returns: Middy writes the status and headers as the prelude, then pipes `body`. */
export interface SseResponse {
  readonly statusCode: 200
  readonly headers: Record<string, string>
  readonly body: Readable
}

const SOURCE = 'breakwater/sse'
const SSE_OPTIONS = object({
  message: string({ minLength: 1, must: 'must be a non-empty string' }),
  retryAfterSeconds: number({
    integer: true, min: 0, max: MAX_RETRY_AFTER_SECONDS, must: `must be a whole number of seconds from 0 to ${MAX_RETRY_AFTER_SECONDS}`,
  }),
  requestId: string(),
  logger: methods(['error', 'warn']),
  logErrorMessages: boolean(),
  metrics: methods(['addMetric', 'hasStoredMetrics', 'publishStoredMetrics']),
  headers: record(string()),
}, { source: SOURCE, label: 'sseResponse options' })

/**
 * node:stream's Readable, fetched when a response is made, not imported: the entry's static imports stay the Bedrock
 * client alone (test/layer/bundle.test.ts). Node has the module loaded already (process.stdout is one).
 */
const readableFrom = (body: AsyncIterable<string>): Readable =>
  process.getBuiltinModule('node:stream').Readable.from(body, { objectMode: false })

/** `no-cache`: a proxy must not hold the events back or replay them; the body is never complete until `done`. */
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }

/**
 * The reply as a server-sent-events response for a streamified Middy handler: `event: token` per text delta,
 * `event: restart` when a restart voids what was sent, `event: done` once the answer is whole, or `event: error`
 * when it broke off. Non-text deltas (tool use, reasoning) are not sent.
 *
 * @example
 * ```ts
 * import middy from '@middy/core'
 * import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse'
 *
 * export const handler = middy({ executionMode: executionModeStreamifyResponse })
 *   .use(breakwater({ routes, logger, metrics }))
 *   .handler(async (event, context: BreakwaterContext, { signal }) => {
 *     const reply = await context.bedrock.converseStream({ messages: messagesOf(event) }, { signal })
 *     return sseResponse(reply, { requestId: context.awsRequestId, logger, metrics })
 *   })
 * ```
 */
export function sseResponse(reply: StreamedReplyLike, options?: SseResponseOptions): SseResponse {
  const opts = parseOptions<SseResponseOptions>(SSE_OPTIONS, options)
  return {
    statusCode: 200,
    headers: { ...SSE_HEADERS, ...opts.headers },
    body: readableFrom(sseBody(reply, opts)),
  }
}

/** The events, in order; never throws: a failure becomes the last event. */
async function* sseBody(reply: StreamedReplyLike, opts: SseResponseOptions): AsyncGenerator<string, void, undefined> {
  try {
    for await (const event of reply) {
      if ('breakwaterRestart' in event) {
        yield sseEvent('restart', event.breakwaterRestart)
        continue
      }
      const text = event.contentBlockDelta?.delta?.text
      if (typeof text === 'string' && text !== '') yield sseEvent('token', { text })
    }
    const { stopReason, served } = reply.final()
    yield sseEvent('done', { stopReason, served: servedSummary(served) })
  } catch (error) {
    yield errorEvent(error, opts)
  } finally {
    // Runs also when the client went away (the body is destroyed, the iteration returns and aborts the request).
    if (opts.metrics?.hasStoredMetrics() === true) opts.metrics.publishStoredMetrics()
  }
}

function errorEvent(error: unknown, opts: SseResponseOptions): string {
  const reply = failureReply(error, {
    requestId: opts.requestId ?? 'unknown',
    message: opts.message ?? DEFAULT_BUSY_MESSAGE,
    retryAfterSeconds: opts.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
  })
  if (opts.logger !== undefined) {
    const keys = {
      errorType: reply.errorType, statusCode: reply.statusCode, source: 'stream',
      error: reportError(error, { messages: opts.logErrorMessages === true }),
    }
    if (reply.statusCode >= 500) opts.logger.error('breakwater ended a stream with an error event', keys)
    else opts.logger.warn('breakwater ended a stream with an error event', keys)
  }
  if (reply.degraded) countDegraded(opts.metrics)
  return sseEvent('error', { message: reply.message, retryAfterSeconds: reply.retryAfterSeconds, requestId: reply.requestId })
}
