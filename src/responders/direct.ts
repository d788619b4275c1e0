/**
 * Failure replies for direct invocations (SDK `Invoke`, Step Functions, another Lambda...). There is no protocol
 * to follow, so the reply is a small documented object the caller can branch on instead of a Lambda error.
 */
import type { FailureReply } from './types.js'

/**
 * What a directly invoked function returns when it fails. Public contract: callers branch on `ok` and `degraded`.
 *
 * @example
 * ```ts
 * const out = await lambda.send(new InvokeCommand({ FunctionName: 'chat', Payload: ... }))
 * const result = JSON.parse(Buffer.from(out.Payload!).toString()) as DegradedReply | MyAnswer
 * if ('ok' in result && result.ok === false) {
 *   if (result.degraded) scheduleRetry(result.retryAfterSeconds ?? 5)   // busy or down: try later
 *   else reportError(result.errorType, result.message)                  // bad input or a bug: do not retry as is
 * }
 * ```
 */
export interface DegradedReply {
  /** Always `false`: tells a failure reply from a successful result. */
  ok: false
  /** `true` when the service is temporarily unable to answer (retry later); `false` for bad input or a bug. */
  degraded: boolean
  /** The HTTP status the same failure gets over HTTP: 503, 4xx or 500. */
  statusCode: number
  /** A stable name for what went wrong, e.g. `AllTargetsFailedError`, `BadRequestError`, `InternalError`. */
  errorType: string
  /** Text safe to show to the end user; never a raw upstream error message. */
  message: string
  /** Seconds after which a retry is worth it; present on degraded (503) and 429 replies. */
  retryAfterSeconds?: number
  /** The Lambda request id, to find this invocation in the logs. */
  requestId: string
}

/**
 * Shapes a failure reply for a direct invocation.
 *
 * @example
 * ```ts
 * directReply({ statusCode: 400, message: 'Missing "prompt"', requestId: 'r-1', errorType: 'BadRequestError',
 *   degraded: false })
 * // { ok: false, degraded: false, statusCode: 400, errorType: 'BadRequestError', message: 'Missing "prompt"',
 * //   requestId: 'r-1' }
 * ```
 */
export function directReply(reply: FailureReply): DegradedReply {
  const result: DegradedReply = {
    ok: false,
    degraded: reply.degraded,
    statusCode: reply.statusCode,
    errorType: reply.errorType,
    message: reply.message,
    requestId: reply.requestId,
  }
  if (reply.retryAfterSeconds !== undefined) result.retryAfterSeconds = reply.retryAfterSeconds
  return result
}
