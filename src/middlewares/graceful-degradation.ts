/**
 * gracefulDegradation(): the last line. Whatever failed, the caller gets a polite reply shaped for its event source
 * (API Gateway, ALB, function URL, SQS batch, direct invoke) instead of a raw Lambda error carrying an SDK message.
 *
 * Placement: Middy 7 runs `onError` hooks in reverse `.use()` order, so `.use()` this LAST — it then runs FIRST on
 * error, answers, and stops the chain. Because the hooks after it are skipped, it runs Powertools'
 * `cleanupMiddlewares()` (through src/aws) so `logMetrics()` still flushes and `injectLambdaContext()` still cleans up.
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import type { Metrics } from '@aws-lambda-powertools/metrics'
import type { MiddlewareObj, Request } from '@middy/core'
import type { Context } from 'aws-lambda'
import { countDegraded, flushPowertoolsMiddlewares } from '../aws/observability.js'
import { BreakwaterConfigError, CompositionError } from '../core/errors.js'
import { reportError } from '../core/error-report.js'
import { DEFAULT_BUSY_MESSAGE, DEFAULT_RETRY_AFTER_SECONDS, failureReply } from '../responders/classify-reply.js'
import { detectEventSource, type EventSource } from '../responders/detect.js'
import { requestIdFor, shapeReply } from '../responders/reply.js'
import type { FailureReply } from '../responders/types.js'
import { parseOptions } from '../core/config/index.js'
import { GRACEFUL_DEGRADATION_OPTIONS } from './schema/graceful-degradation.js'

const SOURCE = 'breakwater/graceful-degradation'

/** The Middy request the hook sees: any event, the Lambda context, Powertools-compatible `internal`. */
export type GracefulRequest = Request<unknown, unknown, Error, Context, Record<string, unknown>>

/** Options of {@link gracefulDegradation}. */
export interface GracefulDegradationOptions {
  /**
   * The text of degraded (503) replies. Caller-fault replies (400/413...) keep their own message; bugs get a generic one.
   * @defaultValue `'The assistant is busy right now. Please try again in a moment.'`
   * @example
   * ```ts
   * gracefulDegradation({ message: 'Our assistant is taking a short break. Please retry in a few seconds.' })
   * ```
   */
  message?: string
  /**
   * Retry-After, whole seconds, when the error carries no hint of its own (an AllTargetsFailedError carries the
   * earliest breaker reopening; a Middy timeout or an escaped SDK error may carry none).
   * @defaultValue `5`
   * @example
   * ```ts
   * gracefulDegradation({ retryAfterSeconds: 10 })
   * ```
   */
  retryAfterSeconds?: number
  /**
   * A Powertools Logger. Each failure is logged once — error level for 5xx, warn for 4xx — with `errorType`,
   * `statusCode`, `source` (the event source) and a summary of the error. Never the event or the prompt.
   * @example
   * ```ts
   * const logger = new Logger({ serviceName: 'chat' })
   * middy(handler).use(injectLambdaContext(logger)).use(gracefulDegradation({ logger }))
   * ```
   */
  logger?: Pick<Logger, 'error' | 'warn'>
  /**
   * Also log the messages of upstream and unknown errors (and their causes): Bedrock's own text, Node's
   * `SyntaxError`, your validator's reason. They can quote the prompt or the model's reply, so by default only
   * names, codes, statuses, request ids, stack frames and the messages of Breakwater's own errors are logged —
   * including a `BadRequestError` your handler throws: keep user input out of the messages you give it.
   * @defaultValue `false`
   */
  logErrorMessages?: boolean
  /**
   * A Powertools Metrics. Each degraded reply adds `DegradedResponses` (Count, no dimensions of ours). Flush it
   * with `logMetrics(metrics)` as usual; this middleware triggers the flush when it answers early.
   * @example
   * ```ts
   * const metrics = new Metrics({ namespace: 'chat' })
   * middy(handler).use(logMetrics(metrics)).use(gracefulDegradation({ metrics }))
   * ```
   */
  metrics?: Pick<Metrics, 'addMetric'>
  /**
   * Replaces the reply shaping. Receives the source-neutral reply and the detected event source; what it returns
   * becomes the Lambda result. Return `undefined` (or throw) to hand the error back to Middy instead — e.g. to fail
   * an SQS batch whose event source mapping lacks `ReportBatchItemFailures`.
   * @example
   * ```ts
   * gracefulDegradation({
   *   reply: (reply, source, request) => source === 'apigw-rest'
   *     ? { statusCode: reply.statusCode, body: `<p>${reply.message}</p>`, headers: { 'content-type': 'text/html' } }
   *     : shapeReply(source, reply, request.event),
   * })
   * ```
   */
  reply?: (reply: FailureReply, source: EventSource, request: GracefulRequest) => unknown
}

const defaults = {
  message: DEFAULT_BUSY_MESSAGE,
  retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
  logger: undefined as GracefulDegradationOptions['logger'],
  logErrorMessages: false,
  metrics: undefined as GracefulDegradationOptions['metrics'],
  reply: undefined as GracefulDegradationOptions['reply'],
}

/**
 * Turns the final failure into a polite, source-shaped reply. `.use()` it last so it runs first on error.
 *
 * @example
 * ```ts
 * export const handler = middy(chat)
 *   .use(injectLambdaContext(logger))
 *   .use(logMetrics(metrics))
 *   .use(gracefulDegradation({ logger, metrics, retryAfterSeconds: 10 }))   // last
 * ```
 */
export function gracefulDegradation(
  options?: GracefulDegradationOptions,
): MiddlewareObj<unknown, unknown, Error, Context, Record<string, unknown>> {
  options = parseOptions(GRACEFUL_DEGRADATION_OPTIONS, options, SOURCE)
  const opts = { ...defaults, ...options }

  const gracefulDegradationOnError = async (request: GracefulRequest): Promise<unknown> => {
    // Another onError hook (e.g. @middy/http-error-handler) already answered: its reply stands.
    if (request.response !== undefined) return undefined
    // A wrong stack or option is a deployment bug, not a runtime failure: let it fail the invocation so Lambda's
    // Errors metric, alarms and canary rollbacks see it, instead of hiding it behind healthy-looking 500 replies.
    if (request.error instanceof CompositionError || request.error instanceof BreakwaterConfigError) {
      opts.logger?.error('breakwater is misconfigured', { error: reportError(request.error, { messages: opts.logErrorMessages }) })
      return undefined
    }
    const source = detectEventSource(request.event)
    const reply = failureReply(request.error, {
      requestId: requestIdFor(request.event, request.context),
      message: opts.message,
      retryAfterSeconds: opts.retryAfterSeconds,
    })
    log(opts, reply, source, request.error)
    const result = opts.reply ? opts.reply(reply, source, request) : shapeReply(source, reply, request.event)
    // undefined: the override hands the error back to Middy (it rethrows unless a later hook answers).
    if (result === undefined) return undefined
    if (reply.degraded) countDegraded(opts.metrics)
    request.response = result
    // Returning a value skips the remaining onError hooks (logMetrics' flush among them): run their cleanups now,
    // after the metric above was added so it is part of the flush.
    await flushPowertoolsMiddlewares(request)
    return result
  }

  return { name: 'breakwater-graceful-degradation', onError: gracefulDegradationOnError }
}

function log(
  opts: Pick<GracefulDegradationOptions, 'logger' | 'logErrorMessages'>,
  reply: FailureReply,
  source: EventSource,
  error: unknown,
): void {
  const { logger } = opts
  if (!logger) return
  const report = reportError(error, { messages: opts.logErrorMessages === true })
  const keys = { errorType: reply.errorType, statusCode: reply.statusCode, source, error: report }
  if (reply.statusCode >= 500) logger.error('breakwater replied with a failure', keys)
  else logger.warn('breakwater replied with a failure', keys)
}
