/**
 * Reading an event for the queue path: may it be queued (not an SQS batch, which is the worker's), did its caller
 * ask for an asynchronous answer (`Prefer: respond-async`, RFC 7240), and what of it is queued by default.
 */
import { BadRequestError } from '../core/errors.js'
import { detectEventSource, isRecord } from './detect.js'

/** SQS batches are the worker's; everything else a handler answers can be queued. */
export const queueable = (event: unknown): boolean => detectEventSource(event) !== 'sqs'

function headerOf(event: unknown, name: string): string | undefined {
  if (!isRecord(event)) return undefined
  const pick = (headers: unknown): unknown => {
    if (!isRecord(headers)) return undefined
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v
    return undefined
  }
  const single = pick(event.headers)
  if (typeof single === 'string') return single
  const multi = pick(event.multiValueHeaders)
  return Array.isArray(multi) ? multi.join(',') : undefined
}

/** RFC 7240: `Prefer: respond-async` (among other preferences, any case). */
export const asksForAsync = (event: unknown): boolean =>
  (headerOf(event, 'prefer') ?? '').split(',').some((p) => p.split(';')[0]?.trim().toLowerCase() === 'respond-async')

export function defaultPayload(event: unknown): unknown {
  if (detectEventSource(event) === 'direct') return event
  const { body, isBase64Encoded } = event as { body?: unknown; isBase64Encoded?: unknown }
  if (typeof body !== 'string' || body === '') throw new BadRequestError('The request has no body to queue')
  const text = isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new BadRequestError('The request body is not valid JSON')
  }
}
