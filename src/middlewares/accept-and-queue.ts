/**
 * acceptAndQueue(): the accepting front of the queue path. A request the caller marked as async-capable
 * (`Prefer: respond-async`, RFC 7240), or one no target could serve now (every breaker open, admission shed it, no
 * time left: the cascade's AllTargetsFailedError), is put on the request queue and answered `202 Accepted` with its
 * id and a status URL, instead of being tried now or answered 503.
 *
 * Nothing is accepted that is not durably queued: the 202 is sent only after SQS stored the message. A failed send
 * leaves the original outcome (a 503 from gracefulDegradation for an unserved request), never a lost request.
 *
 * Use it after `breakwater()` (Middy runs the last middleware's onError first, so it sees the failure before
 * gracefulDegradation turns it into a 503).
 *
 * @example
 * import { acceptAndQueue, RequestQueue, ResultsStore } from 'breakwater/queue'
 * const queue = new RequestQueue({ queueUrl: queueUrl })
 * const results = new ResultsStore({ tableName: resultsTable })
 * export const handler = middy(chat).use(breakwater({ routes })).use(acceptAndQueue({ queue, results }))
 */
import { randomUUID } from 'node:crypto'
import type middy from '@middy/core'
import { systemClock, type Clock } from '../core/clock.js'
import { boolean, func, methods, number, object, parseOptions, required } from '../core/config/index.js'
import { AllTargetsFailedError } from '../core/errors.js'
import type { QueuedRequest } from '../core/queue/envelope.js'
import { acceptedReply } from '../responders/accepted.js'
import { asksForAsync, defaultPayload, queueable } from '../responders/async-request.js'
import type { RequestQueue } from '../aws/queue/request-queue.js'
import type { ResultsStore } from '../aws/queue/results-store.js'
import { countQueue, QUEUE_METRIC } from '../aws/queue/queue-metrics.js'
import { METRICS } from './schema/shared.js'
import type { Metrics } from '@aws-lambda-powertools/metrics'

const SOURCE = 'breakwater/accept-and-queue'

export interface AcceptAndQueueOptions {
  /** Where accepted requests go. */
  readonly queue: Pick<RequestQueue, 'send'>
  /** Records `pending` for the status URL. Without it, `GET /requests/{id}` knows a request once the worker wrote it. */
  readonly results?: Pick<ResultsStore, 'accepted'>
  /** Queue a request whose caller sent `Prefer: respond-async` without trying it now. Default true. */
  readonly whenRequested?: boolean
  /** Queue a request no target could serve now, instead of the 503. Default true. */
  readonly whenUnavailable?: boolean
  /** The status URL of request `id`. Default `/requests/<id>`. */
  readonly statusUrl?: (id: string) => string
  /**
   * What is queued from the event: what the worker's handler reads. Default: an HTTP event's body parsed as JSON,
   * or a direct invoke's event itself.
   */
  readonly payload?: (event: unknown) => unknown
  /** Seconds a caller is told to wait before its first poll. Default 2. */
  readonly pollAfterSeconds?: number
  /** A Powertools Metrics: each accepted request is counted (`AcceptedRequests`). */
  readonly metrics?: Pick<Metrics, 'addMetric'>
  /** For tests. */
  readonly clock?: Pick<Clock, 'now'>
  readonly newId?: () => string
}

const OPTIONS = object({
  queue: required(methods(['send'], { must: 'must be a RequestQueue (an object with send())' }), 'is required: the request queue'),
  results: methods(['accepted'], { must: 'must be a ResultsStore (an object with accepted())' }),
  whenRequested: boolean(),
  whenUnavailable: boolean(),
  statusUrl: func('(id) => string'),
  payload: func('(event) => unknown'),
  pollAfterSeconds: number({ min: 0, max: 3_600, integer: true, unit: 's' }),
  metrics: METRICS,
  clock: methods(['now'], { must: 'must be a clock with now()' }),
  newId: func('() => string'),
}, { label: 'an acceptAndQueue', source: SOURCE })

type Request = middy.Request<unknown, unknown, Error>

export function acceptAndQueue(options: AcceptAndQueueOptions): middy.MiddlewareObj<unknown, unknown, Error> {
  parseOptions(OPTIONS, options ?? {}, SOURCE)
  const { queue, results, whenRequested = true, whenUnavailable = true, pollAfterSeconds = 2 } = options
  const statusUrl = options.statusUrl ?? ((id: string) => `/requests/${id}`)
  const payloadOf = options.payload ?? defaultPayload
  const clock = options.clock ?? systemClock
  const newId = options.newId ?? randomUUID

  const accept = async (event: unknown, why: QueuedRequest['why']): Promise<unknown> => {
    const request: QueuedRequest = { v: 1, id: newId(), acceptedAt: clock.now(), why, payload: payloadOf(event) }
    await queue.send(request)
    countQueue(options.metrics, QUEUE_METRIC.accepted)
    // Queued is accepted; the pending record only lets the status URL answer before the worker has: best effort.
    await results?.accepted(request.id, request.acceptedAt).catch(() => undefined)
    return acceptedReply(event, { requestId: request.id, statusUrl: statusUrl(request.id), retryAfterSeconds: pollAfterSeconds })
  }

  const acceptAndQueueBefore = async (request: Request): Promise<unknown> => {
    if (!whenRequested || !queueable(request.event) || !asksForAsync(request.event)) return undefined
    return accept(request.event, 'requested')
  }

  const acceptAndQueueOnError = async (request: Request): Promise<unknown> => {
    if (!whenUnavailable || !(request.error instanceof AllTargetsFailedError) || !queueable(request.event)) return undefined
    try {
      return await accept(request.event, 'unavailable')
    } catch {
      // Not queued: the original failure stands (gracefulDegradation answers it), so nothing is lost silently.
      return undefined
    }
  }

  return { before: acceptAndQueueBefore, onError: acceptAndQueueOnError }
}
