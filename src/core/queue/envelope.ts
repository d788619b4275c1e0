/**
 * The message the accepting front puts on the queue and the worker reads back: the request id the caller was given,
 * when it was accepted, and the request itself as the handler received it (the HTTP body parsed, or a direct invoke's
 * event). Versioned, so a worker deployed after a change of shape can tell an old message from a broken one.
 */
import { BadRequestError } from '../errors.js'

export interface QueuedRequest {
  readonly v: 1
  /** The id the caller polls `GET /requests/{id}` with. */
  readonly id: string
  /** Epoch ms the front accepted it. */
  readonly acceptedAt: number
  /** Why it was queued: the caller asked (`Prefer: respond-async`), or no target could serve it then. */
  readonly why: 'requested' | 'unavailable'
  /** The request: what the synchronous handler would have read. */
  readonly payload: unknown
}

/** Request ids: what `randomUUID()` makes, or a caller's own key of the same alphabet. */
export const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/

/** Reads a message body back; a body that is not one of ours is a BadRequestError (it goes to the dead-letter queue). */
export function readEnvelope(body: string): QueuedRequest {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    // Not the SyntaxError as cause: its message quotes the body, which is the caller's text.
    throw new BadRequestError('The queued message is not JSON')
  }
  const m = parsed as Partial<QueuedRequest> | null
  if (m === null || typeof m !== 'object' || m.v !== 1) throw new BadRequestError('The queued message is not a Breakwater request (v1)')
  if (typeof m.id !== 'string' || !REQUEST_ID.test(m.id)) throw new BadRequestError('The queued message has no valid request id')
  if (typeof m.acceptedAt !== 'number' || !Number.isFinite(m.acceptedAt)) throw new BadRequestError('The queued message has no acceptedAt')
  if (m.why !== 'requested' && m.why !== 'unavailable') throw new BadRequestError('The queued message says not why it was queued')
  if (!('payload' in m)) throw new BadRequestError('The queued message has no payload')
  return { v: 1, id: m.id, acceptedAt: m.acceptedAt, why: m.why, payload: m.payload }
}

export const writeEnvelope = (request: QueuedRequest): string => JSON.stringify(request)
