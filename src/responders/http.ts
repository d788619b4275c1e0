/**
 * Failure replies for API Gateway (REST v1 and HTTP API v2 payloads) and Lambda function URLs. The three accept the
 * same `{ statusCode, headers, body }` result, so one shape serves them all.
 */
import type { FailureReply } from './types.js'

/**
 * The result shape API Gateway (v1 and v2) and function URLs accept: assignable to both `APIGatewayProxyResult`
 * and `APIGatewayProxyStructuredResultV2` from `aws-lambda`.
 */
export interface HttpFailureResult {
  statusCode: number
  headers: Record<string, string>
  body: string
}

/** Only 503 and 429 carry Retry-After (RFC 9110 §10.2.3); on a 400 it would invite a pointless retry. */
export function retryAfterHeaderValue(reply: FailureReply): string | undefined {
  if (reply.retryAfterSeconds === undefined) return undefined
  if (reply.statusCode !== 503 && reply.statusCode !== 429) return undefined
  return String(Math.max(0, Math.ceil(reply.retryAfterSeconds)))
}

/** The JSON body every HTTP-shaped reply carries. `retryAfterSeconds` is left out when undefined. */
export function replyBody(reply: FailureReply): string {
  return JSON.stringify({
    message: reply.message,
    retryAfterSeconds: reply.retryAfterSeconds,
    requestId: reply.requestId,
  })
}

/**
 * Shapes a failure reply for API Gateway REST, HTTP API or a function URL.
 *
 * @example
 * ```ts
 * httpReply({ statusCode: 503, message: 'Busy', retryAfterSeconds: 5, requestId: 'r-1',
 *   errorType: 'AllTargetsFailedError', degraded: true })
 * // { statusCode: 503, headers: { 'content-type': 'application/json', 'retry-after': '5' }, body: '{"message":...}' }
 * ```
 */
export function httpReply(reply: FailureReply): HttpFailureResult {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const retryAfter = retryAfterHeaderValue(reply)
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter
  return { statusCode: reply.statusCode, headers, body: replyBody(reply) }
}
