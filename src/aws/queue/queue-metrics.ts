/**
 * The queue path's metrics (Count, no dimensions of ours), added to the Powertools Metrics given as `metrics` to
 * acceptAndQueue() and queueWorker(): flush it as usual with `logMetrics(metrics)`.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics'

export const QUEUE_METRIC = {
  /** The front queued a request and answered 202. */
  accepted: 'AcceptedRequests',
  /** The worker served a queued request. */
  served: 'QueuedRequestsServed',
  /** A message whose request was already done (a duplicate or a redelivery): nothing was paid. */
  duplicate: 'QueuedDuplicates',
  /** A record set to come back when its targets can next serve. */
  redelivered: 'QueueRedeliveries',
  /** A record received requeueAtReceiveCount times, put back as a fresh copy. */
  requeued: 'QueueRequeues',
  /** A record sent to the dead-letter queue (a caller fault, not ours, or expired). */
  deadLettered: 'QueueDeadLettered',
} as const

export type QueueMetrics = Pick<Metrics, 'addMetric'> | undefined

export const countQueue = (metrics: QueueMetrics, name: (typeof QUEUE_METRIC)[keyof typeof QUEUE_METRIC]): void => {
  metrics?.addMetric(name, 'Count', 1)
}
