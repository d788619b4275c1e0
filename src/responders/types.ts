/**
 * The source-neutral description of a failed invocation. `failureReply()` builds it from the error; the responders
 * shape it for the event source. Kept in its own file so the responders and the classifier do not import each other.
 */

/**
 * What the caller is told when an invocation fails. Everything in it is safe to show to the caller: the message is
 * either a configured polite text or a caller-fault message, never a raw upstream error.
 *
 * @example
 * ```ts
 * const reply: FailureReply = {
 *   statusCode: 503, message: 'The assistant is busy right now. Please try again in a moment.',
 *   retryAfterSeconds: 5, requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', errorType: 'AllTargetsFailedError',
 *   degraded: true,
 * }
 * ```
 */
export interface FailureReply {
  /** HTTP status: 503 (degraded), 4xx (the caller's fault) or 500 (a bug). */
  statusCode: number
  /** Text safe to show to the end user. */
  message: string
  /** Seconds after which a retry is worth it; set on 503 and 429 replies only. */
  retryAfterSeconds?: number
  /** The Lambda request id (or API Gateway's), so a user report can be matched to the logs. */
  requestId: string
  /** A stable name for what went wrong, e.g. `AllTargetsFailedError`, `BadRequestError`, `InternalError`. */
  errorType: string
  /** True when the service is temporarily unable to answer (the model tier is down or busy), not a bug or bad input. */
  degraded: boolean
}
