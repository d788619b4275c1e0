/**
 * Failure replies for an Application Load Balancer target group. ALB differs from API Gateway in two ways that
 * matter here: it wants a `statusDescription`, and when the target group has multi-value headers enabled it reads
 * only `multiValueHeaders` (plain `headers` would be dropped, losing Content-Type and Retry-After).
 */
import type { ALBEvent, ALBResult } from 'aws-lambda'
import { replyBody, retryAfterHeaderValue } from './http.js'
import type { FailureReply } from './types.js'

/**
 * node:http's status texts, fetched when a reply is shaped, not imported: an ES import of node:http builds its module
 * namespace by reading every export, and its lazy `WebSocket`/`fetch` getters then load undici (10–20 ms of a cold
 * start). `getBuiltinModule` hands back the CommonJS object, which the AWS SDK has loaded already.
 */
const statusText = (code: number): string | undefined => process.getBuiltinModule('node:http').STATUS_CODES[code]

/**
 * Shapes a failure reply for an ALB. Uses `multiValueHeaders` when the event had them (the target group has
 * multi-value headers on), `headers` otherwise.
 *
 * @example
 * ```ts
 * albReply(reply, event)
 * // { statusCode: 503, statusDescription: '503 Service Unavailable', isBase64Encoded: false,
 * //   headers: { 'content-type': 'application/json', 'retry-after': '5' }, body: '{"message":...}' }
 * ```
 */
export function albReply(reply: FailureReply, event: ALBEvent): ALBResult {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const retryAfter = retryAfterHeaderValue(reply)
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter
  const result: ALBResult = {
    statusCode: reply.statusCode,
    statusDescription: `${reply.statusCode} ${statusText(reply.statusCode) ?? 'Error'}`,
    isBase64Encoded: false,
    body: replyBody(reply),
  }
  if (event.multiValueHeaders !== undefined) {
    result.multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]))
  } else {
    result.headers = headers
  }
  return result
}
