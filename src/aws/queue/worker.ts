/**
 * queueWorker(): serves one SQS record of the request queue, for Powertools' batch processor (or any loop that
 * reports the records that threw as `batchItemFailures`).
 *
 * - served → the answer is written to the results table and the record returns (the batch deletes it);
 * - already answered (a duplicate or redelivered message whose request is `done`) → returns without serving: Bedrock
 *   is not paid twice;
 * - not now (the cascade's AllTargetsFailedError) → the record's visibility is set to when its targets can next
 *   serve (planRedelivery: the breaker's reopen plus a spread, never below a tenth of its age) and it throws
 *   RedeliverLaterError, so it stays on the queue without costing the `maxReceiveCount` of a blind retry storm;
 *   once it has been received `requeueAtReceiveCount` times, a fresh copy due then is sent instead and the record
 *   returns (the batch deletes it): the copy's receive count starts again, so no outage reaches `maxReceiveCount`;
 *   the records after it in the same batch are planned from the same answer until its hint runs out, not tried;
 * - never (a caller fault, a body that is not ours, or too old) → moved to the dead-letter queue at once with its
 *   reason, marked `failed` in the results, and the record returns;
 * - anything else → thrown as is: SQS's plain redelivery, and the DLQ after `maxReceiveCount`.
 */
import type { SQSRecord } from 'aws-lambda'
import { systemClock, type Clock, type Random } from '../../core/clock.js'
import type { Metrics } from '@aws-lambda-powertools/metrics'
import { func, methods, number, object, parseOptions, required } from '../../core/config/index.js'
import { countQueue, QUEUE_METRIC } from './queue-metrics.js'
import { BreakwaterError } from '../../core/errors.js'
import { readEnvelope, type QueuedRequest } from '../../core/queue/envelope.js'
import {
  DEFAULT_REDELIVERY_POLICY, planRedelivery, SQS_MAX_VISIBILITY_SECONDS, type RecordVerdict, type RedeliveryPolicy,
} from '../../core/queue/redelivery.js'
import { verdictOf } from '../../core/queue/verdict.js'
import type { RequestQueue } from './request-queue.js'
import type { ResultsStore } from './results-store.js'

const SOURCE = 'breakwater/queue-worker'

/** The record was not served now and is due back after `visibilitySeconds`: report it as a batch item failure. */
export class RedeliverLaterError extends BreakwaterError {
  readonly visibilitySeconds: number
  constructor(visibilitySeconds: number, cause: unknown) {
    super(`Not served now; due back in ${visibilitySeconds} s`, { source: SOURCE, cause })
    this.name = 'RedeliverLaterError'
    this.visibilitySeconds = visibilitySeconds
  }
}

export interface QueueWorkerOptions<R> {
  /** The request queue, with its `deadLetterQueueUrl`. */
  readonly queue: Pick<RequestQueue, 'redeliverIn' | 'requeue' | 'deadLetter'>
  readonly results: Pick<ResultsStore, 'get' | 'done' | 'failed'>
  /** Serves one request (what the synchronous handler does with the payload); what it returns is stored as the answer. */
  readonly serve: (request: QueuedRequest) => Promise<R>
  /** When to see an unserved record again. */
  readonly redelivery?: Partial<RedeliveryPolicy>
  /** A Powertools Metrics: each record's outcome is counted (QUEUE_METRIC in queue-metrics.ts). */
  readonly metrics?: Pick<Metrics, 'addMetric'>
  readonly clock?: Pick<Clock, 'now'>
  readonly random?: Random
}

export type RecordOutcome = 'served' | 'duplicate' | 'requeued' | 'dead-lettered'

const seconds = (min: number, max: number) => number({ min, max, unit: 's' })
const share = number({ min: 0, max: 1 })

const WORKER_OPTIONS = object({
  queue: required(methods(['redeliverIn', 'requeue', 'deadLetter'], { must: 'must be a RequestQueue' }), 'is required: the request queue'),
  results: required(methods(['get', 'done', 'failed'], { must: 'must be a ResultsStore' }), 'is required: the results store'),
  serve: required(func('(request) => Promise<answer>'), 'is required: what serves one request'),
  redelivery: object({
    minDelaySeconds: seconds(0, SQS_MAX_VISIBILITY_SECONDS),
    maxDelaySeconds: seconds(1, SQS_MAX_VISIBILITY_SECONDS),
    defaultDelaySeconds: seconds(0, SQS_MAX_VISIBILITY_SECONDS),
    ageShare: share,
    spread: share,
    maxAgeSeconds: seconds(60, 14 * 86_400),
    requeueAtReceiveCount: number({ min: 1, max: 1000, integer: true }),
  }, {
    label: 'a redelivery policy',
    refine: [(r: Partial<RedeliveryPolicy>) => {
      const p = { ...DEFAULT_REDELIVERY_POLICY, ...r }
      return p.minDelaySeconds <= p.maxDelaySeconds ? undefined
        : { at: 'minDelaySeconds', problem: `must be at most maxDelaySeconds (${p.maxDelaySeconds})` }
    }],
  }),
  metrics: methods(['addMetric'], { must: 'must be a Powertools Metrics (an object with addMetric())' }),
  clock: methods(['now']),
  random: func('() => number in [0, 1)'),
}, { label: 'a queue worker', source: SOURCE })

export function queueWorker<R>(options: QueueWorkerOptions<R>): (record: SQSRecord) => Promise<RecordOutcome> {
  parseOptions(WORKER_OPTIONS, options ?? {}, SOURCE)
  const { queue, results, serve } = options
  const policy: RedeliveryPolicy = { ...DEFAULT_REDELIVERY_POLICY, ...options.redelivery }
  const clock = options.clock ?? systemClock
  const random = options.random ?? Math.random
  const metrics = options.metrics

  const deadLetter = async (record: SQSRecord, request: QueuedRequest | undefined, reason: string): Promise<RecordOutcome> => {
    await queue.deadLetter(record.body, request?.id, reason)
    if (request !== undefined) await results.failed(request.id, request.acceptedAt, reason, clock.now())
    countQueue(metrics, QUEUE_METRIC.deadLettered)
    return 'dead-lettered'
  }

  // The last "not now" of this worker's batch and until when it holds: the records after it in the batch are planned
  // from it without being tried (no results read, no idempotency record written and deleted, no cascade).
  let notNow: { readonly until: number; readonly error: unknown } | undefined

  const tryServe = async (request: QueuedRequest): Promise<'served' | 'duplicate'> => {
    if ((await results.get(request.id))?.status === 'done') {
      countQueue(metrics, QUEUE_METRIC.duplicate)
      return 'duplicate'
    }
    const answer = await serve(request)
    await results.done(request.id, request.acceptedAt, answer, clock.now())
    countQueue(metrics, QUEUE_METRIC.served)
    return 'served'
  }

  const notServed = async (record: SQSRecord, request: QueuedRequest, verdict: RecordVerdict, error: unknown): Promise<RecordOutcome> => {
    const ageSeconds = (clock.now() - sentAt(record, request)) / 1000
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount) || 1
    const plan = planRedelivery(verdict, { ageSeconds, receiveCount }, policy, random)
    if (plan.action === 'dead-letter') return deadLetter(record, request, plan.reason)
    if (plan.action === 'delete') return 'served'
    if (plan.action === 'requeue') {
      await queue.requeue(request, plan.delaySeconds)
      countQueue(metrics, QUEUE_METRIC.requeued)
      return 'requeued'
    }
    await queue.redeliverIn(record.receiptHandle, plan.visibilitySeconds)
    countQueue(metrics, QUEUE_METRIC.redelivered)
    throw new RedeliverLaterError(plan.visibilitySeconds, error)
  }

  return async function serveRecord(record) {
    let request: QueuedRequest
    try {
      request = readEnvelope(record.body)
    } catch (error) {
      return deadLetter(record, undefined, (error as Error).name)
    }
    const held = notNow
    if (held !== undefined && clock.now() < held.until) {
      return notServed(record, request, { kind: 'not-now', retryAfterSeconds: (held.until - clock.now()) / 1000 }, held.error)
    }
    try {
      return await tryServe(request)
    } catch (error) {
      const verdict = verdictOf(error)
      if (verdict === undefined) throw error
      if (verdict.kind === 'not-now') {
        const hint = verdict.retryAfterSeconds ?? verdict.retryAfterAtMostSeconds ?? policy.defaultDelaySeconds
        notNow = { until: clock.now() + hint * 1000, error }
      }
      return notServed(record, request, verdict, error)
    }
  }
}

/** When the request was first queued: SQS's SentTimestamp, or the envelope's acceptedAt. */
function sentAt(record: SQSRecord, request: QueuedRequest): number {
  const sent = Number(record.attributes?.SentTimestamp)
  return Number.isFinite(sent) && sent > 0 ? Math.min(sent, request.acceptedAt || sent) : request.acceptedAt
}
