/**
 * The `202 Accepted` of the queue path, shaped for the event source: the request id, where to poll, and a hint of
 * when to start. HTTP sources get a Location header (RFC 9110 §15.3.3: a 202 points at a status monitor).
 */
import { detectEventSource, isAlbEvent } from './detect.js'

export interface AcceptedReply {
  readonly requestId: string
  readonly statusUrl: string
  /** Seconds before a first poll is worth it. */
  readonly retryAfterSeconds: number
}

/** What a direct invoke gets back: `accepted: true` tells it apart from an answer and from a DegradedReply (`ok`). */
export interface AcceptedDirectReply {
  accepted: true
  status: 'pending'
  requestId: string
  statusUrl: string
  retryAfterSeconds: number
}

export function acceptedReply(event: unknown, reply: AcceptedReply): unknown {
  const body: AcceptedDirectReply = {
    accepted: true, status: 'pending', requestId: reply.requestId, statusUrl: reply.statusUrl, retryAfterSeconds: reply.retryAfterSeconds,
  }
  if (detectEventSource(event) === 'direct') return body
  const headers: Record<string, string> = {
    'content-type': 'application/json', location: reply.statusUrl, 'retry-after': String(reply.retryAfterSeconds),
  }
  const result = { statusCode: 202, headers, body: JSON.stringify(body) }
  if (!isAlbEvent(event)) return result
  const alb = { ...result, statusDescription: '202 Accepted', isBase64Encoded: false }
  if (event.multiValueHeaders === undefined) return alb
  const { headers: single, ...rest } = alb
  return { ...rest, multiValueHeaders: Object.fromEntries(Object.entries(single).map(([k, v]) => [k, [v]])) }
}
