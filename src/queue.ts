/**
 * `breakwater/queue`: the accept-and-queue path (request function → SQS → worker → results in DynamoDB / S3) as its
 * own entry, so functions that do not queue never load the SQS and S3 clients.
 */
export { acceptAndQueue, type AcceptAndQueueOptions } from './middlewares/accept-and-queue.js'
export { requestStatus, type RequestStatusOptions, type StatusResult } from './middlewares/request-status.js'
export { RequestQueue, type RequestQueueOptions } from './aws/queue/request-queue.js'
export { ResultsStore, type ResultsStoreOptions, type RequestOutcome, type RequestStatus } from './aws/queue/results-store.js'
export { queueWorker, RedeliverLaterError, type QueueWorkerOptions, type RecordOutcome } from './aws/queue/worker.js'
export { readEnvelope, type QueuedRequest } from './core/queue/envelope.js'
export {
  planRedelivery, DEFAULT_REDELIVERY_POLICY, type RedeliveryPlan, type RedeliveryPolicy, type RecordVerdict,
} from './core/queue/redelivery.js'
export type { AcceptedDirectReply } from './responders/accepted.js'
