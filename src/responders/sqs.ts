/**
 * Failure replies for an SQS batch. When the batch failed as a whole, every message is reported as failed so SQS
 * makes each one visible again and redelivers it (and, after maxReceiveCount, moves it to the DLQ): nothing is lost.
 *
 * This relies on the event source mapping having `FunctionResponseTypes: [ReportBatchItemFailures]`. Without it
 * Lambda ignores the returned object and counts the invocation as a success, deleting the batch — configure it, or
 * pass a `reply` override to `gracefulDegradation()` that rethrows for SQS.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'

/**
 * Reports every record of the batch as failed.
 *
 * @example
 * ```ts
 * sqsReply({ Records: [{ messageId: 'a', ... }, { messageId: 'b', ... }] })
 * // { batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] }
 * ```
 */
export function sqsReply(event: SQSEvent): SQSBatchResponse {
  return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) }
}
