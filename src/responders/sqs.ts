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
 * Reports every record of the batch as failed. A record that is not an object or has no `messageId` (a hand-made or
 * corrupted event; SQS never sends one) cannot be listed, and must not stop the others from being listed; leaving it
 * out would tell Lambda it succeeded and delete it, so an empty `itemIdentifier` is added, which makes Lambda treat
 * the whole batch as failed and redeliver all of it: nothing is lost.
 *
 * @example
 * ```ts
 * sqsReply({ Records: [{ messageId: 'a', ... }, { messageId: 'b', ... }] })
 * // { batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] }
 * ```
 */
export function sqsReply(event: SQSEvent): SQSBatchResponse {
  const records: readonly unknown[] = Array.isArray(event.Records) ? event.Records : []
  const ids = records.map(messageIdOf)
  const named = ids.filter((id): id is string => id !== undefined)
  const failures = named.map((id) => ({ itemIdentifier: id }))
  if (named.length < ids.length || ids.length === 0) failures.push({ itemIdentifier: '' })
  return { batchItemFailures: failures }
}

function messageIdOf(record: unknown): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined
  const id = (record as { messageId?: unknown }).messageId
  return typeof id === 'string' && id !== '' ? id : undefined
}
