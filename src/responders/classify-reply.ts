/**
 * Decides what the caller is told about a failed invocation. The rule that matters most: an upstream or internal
 * error's own message never reaches the caller (it can name models, accounts, regions or echo input); only
 * Breakwater's caller-fault messages and deliberately exposed HTTP errors do.
 */
import { AllTargetsFailedError, CallerFaultError } from '../core/errors.js'
import { classify, UPSTREAM_FAILURE_CLASSES } from '../core/failure.js'
import { StreamInterruptedError } from '../core/stream/errors.js'
import { isRecord } from './detect.js'
import type { FailureReply } from './types.js'

/** node:http's status texts, fetched on use, not imported: see `statusText` in alb.ts (an ES import costs undici). */
const statusText = (code: number): string | undefined => process.getBuiltinModule('node:http').STATUS_CODES[code]

/** The polite text of a degraded (503) reply unless configured otherwise. */
export const DEFAULT_BUSY_MESSAGE = 'The assistant is busy right now. Please try again in a moment.'
/** Retry-After, seconds, when the error carries no better hint. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5
/** The only thing a caller learns about a bug. */
export const INTERNAL_ERROR_MESSAGE = 'An internal error occurred.'

/** What `failureReply()` needs besides the error. */
export interface FailureReplyOptions {
  /** Goes into the reply so a user report can be matched with the logs. */
  requestId: string
  /** The polite 503 text. Default {@link DEFAULT_BUSY_MESSAGE}. */
  message?: string
  /** Retry-After when the error has no hint of its own. Default {@link DEFAULT_RETRY_AFTER_SECONDS}. */
  retryAfterSeconds?: number
}

/** Upstream failures that mean "busy or down, try later" when such an error escapes the invoker unwrapped. */
const DEGRADED_CLASSES = UPSTREAM_FAILURE_CLASSES

interface HttpErrorLike { statusCode?: unknown; status?: unknown; expose?: unknown; message?: unknown; name?: unknown }

/** Middy's `timeoutEarlyResponse` throws `TimeoutError` with `cause.package === '@middy/core'`. */
function isMiddyTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError' &&
    isRecord(error.cause) && error.cause.package === '@middy/core'
}

/** A 4xx from `http-errors` or Middy's `createError` (e.g. @middy/http-json-body-parser's 415/422). */
function httpClientStatus(error: unknown): number | undefined {
  if (!isRecord(error)) return undefined
  const e = error as HttpErrorLike
  const status = typeof e.statusCode === 'number' ? e.statusCode : e.status
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 499 ? status : undefined
}

/**
 * Powertools batch's `FullBatchFailureError` (every record of a batch failed), recognised by shape so responders
 * import nothing from Powertools. Its `recordErrors` are what actually went wrong.
 */
function fullBatchRecordErrors(error: unknown): unknown[] | undefined {
  if (!(error instanceof Error) || error.name !== 'FullBatchFailureError') return undefined
  const { recordErrors } = error as Error & { recordErrors?: unknown }
  return Array.isArray(recordErrors) && recordErrors.length > 0 ? recordErrors : undefined
}

/**
 * The longest Retry-After ever sent, seconds (a day, the longest breaker cooldown allowed): a hint from a store or a
 * server beyond it is a fault of theirs, and `retry-after: 1e+297` is no answer.
 */
export const MAX_RETRY_AFTER_SECONDS = 86_400

/** Whole seconds, never negative, at most a day; `fallback` when the hint is missing or not a finite number. */
function seconds(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(value)) : fallback
}

/** The soonest anything could serve: exact when every target's time is known, else capped by the default. */
function retryAfterOf(error: AllTargetsFailedError, fallback: number): number {
  if (error.retryAfterSeconds !== undefined) return seconds(error.retryAfterSeconds, fallback)
  return Math.min(fallback, seconds(error.retryAfterAtMostSeconds, fallback))
}

/**
 * Builds the source-neutral reply for an error that reached the end of the middleware chain.
 *
 * | error | status | degraded | message |
 * |---|---|---|---|
 * | `AllTargetsFailedError` | 503 + Retry-After | yes | the polite message |
 * | `StreamInterruptedError` (cut after its first token, no target finished it) | 503 + Retry-After | yes | the polite message |
 * | `CallerFaultError` (`BadRequestError` 400, `ContextOverflowError` 413, ...) | its `statusCode` | no | its message |
 * | Middy's early-timeout `TimeoutError` | 503 + Retry-After | yes | the polite message |
 * | `http-errors` / Middy `createError` 4xx | its status | no | its message if `expose !== false` |
 * | an escaped AWS SDK error (`$metadata`) or network/timeout error | 503 + Retry-After | yes | the polite message |
 * | Powertools batch `FullBatchFailureError` | its worst record error's (degraded, else 5xx, else first) | as that error | as that error |
 * | anything else (a bug) | 500 | no | a generic message |
 *
 * A whole SQS batch that failed record by record is an outage (or a batch of bad requests), not a bug: classifying
 * it by its records keeps the log level, `errorType` and the DegradedResponses metric right. The SQS reply itself
 * lists every messageId either way.
 *
 * @example
 * ```ts
 * failureReply(new BadRequestError('Missing "prompt"'), { requestId: 'r-1' })
 * // { statusCode: 400, message: 'Missing "prompt"', requestId: 'r-1', errorType: 'BadRequestError', degraded: false }
 * ```
 */
export function failureReply(error: unknown, opts: FailureReplyOptions): FailureReply {
  const busyMessage = opts.message ?? DEFAULT_BUSY_MESSAGE
  const defaultRetry = opts.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS
  const { requestId } = opts
  const recordErrors = fullBatchRecordErrors(error)
  if (recordErrors) {
    const replies = recordErrors.map((e) => failureReply(e, opts))
    return (replies.find((r) => r.degraded) ?? replies.find((r) => r.statusCode >= 500) ?? replies[0]) as FailureReply
  }
  const degraded = (errorType: string, retryAfterSeconds: number): FailureReply =>
    ({ statusCode: 503, message: busyMessage, retryAfterSeconds, requestId, errorType, degraded: true })

  if (error instanceof AllTargetsFailedError) {
    return degraded(error.name, retryAfterOf(error, defaultRetry))
  }
  if (error instanceof StreamInterruptedError) return degraded(error.name, defaultRetry)
  if (error instanceof CallerFaultError) {
    return { statusCode: error.statusCode, message: error.message, requestId, errorType: error.name, degraded: false }
  }
  if (isMiddyTimeout(error)) return degraded('TimeoutError', defaultRetry)

  const httpStatus = httpClientStatus(error)
  if (httpStatus !== undefined) {
    const e = error as HttpErrorLike
    const exposed = e.expose !== false && typeof e.message === 'string' && e.message !== ''
    const reply: FailureReply = {
      statusCode: httpStatus,
      message: exposed ? String(e.message) : statusText(httpStatus) ?? 'Client error',
      requestId,
      errorType: typeof e.name === 'string' && e.name !== '' ? e.name : 'HttpError',
      degraded: false,
    }
    if (httpStatus === 429) reply.retryAfterSeconds = defaultRetry
    return reply
  }

  // An SDK or network error that escaped the invoker unwrapped: the model tier failed, not the caller. Its name is
  // a public AWS/Node error code and safe to report; its message is not.
  const classification = classify(error)
  const isSdkError = isRecord(error) && isRecord(error.$metadata)
  if (isSdkError || (classification !== undefined && DEGRADED_CLASSES.has(classification.failureClass))) {
    const hintMs = classification?.retryAfterMs
    const retry = hintMs === undefined ? defaultRetry : seconds(hintMs / 1000, defaultRetry)
    const name = isRecord(error) && typeof error.name === 'string' ? error.name : 'UpstreamError'
    return degraded(classification?.errorName ?? name, retry)
  }

  return { statusCode: 500, message: INTERNAL_ERROR_MESSAGE, requestId, errorType: 'InternalError', degraded: false }
}
