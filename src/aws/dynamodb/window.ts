/**
 * Reading the fleet's window back: one strongly consistent Query over a target's bucket items (the breaker's failure
 * rate, the adaptive throttle's admission counts).
 */
import { QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandInput } from '@aws-sdk/client-dynamodb'
import { bucketOf, bucketSk, bucketStart, BUCKET_MS, countsOf } from './items.js'

export interface WindowQuery {
  readonly client: DynamoDBClient
  readonly table: string
  readonly key: string
  readonly now: number
  readonly windowMs: number
  readonly sinceMs: number
  /** Called once per Query page sent (the store's usage counter). */
  readonly onQuery: () => void
  /** Aborts the query when the store's operation budget runs out. */
  readonly abortSignal: AbortSignal
}

/** The fleet's counts over the window, from the first whole bucket after `sinceMs` (see BreakerStore). */
export async function queryWindow(q: WindowQuery): Promise<{ calls: number; failures: number }> {
  let calls = 0
  let failures = 0
  await queryBuckets(q, (_start, item) => {
    const c = countsOf(item)
    calls += c.calls
    failures += c.failures
  })
  return { calls, failures }
}

/** Hands each bucket item of the window (see queryWindow) to `each` with its start, ms, page after page. */
export async function queryBuckets(q: WindowQuery, each: (startMs: number, item: Record<string, AttributeValue>) => void): Promise<void> {
  const from = Math.max(bucketStart(q.now - q.windowMs), q.sinceMs > 0 ? bucketStart(q.sinceMs) + BUCKET_MS : 0)
  const to = bucketStart(q.now)
  // Still in the second of the last change (or a clock behind the writer's): no whole bucket counts yet, and
  // DynamoDB rejects a BETWEEN whose bounds are reversed.
  if (from > to) return
  let startKey: Record<string, AttributeValue> | undefined
  do {
    q.onQuery()
    const query: QueryCommandInput = {
      TableName: q.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': { S: q.key }, ':from': { S: bucketSk(from) }, ':to': { S: bucketSk(to) } },
      ConsistentRead: true,
    }
    if (startKey) query.ExclusiveStartKey = startKey
    const page = await q.client.send(new QueryCommand(query), { abortSignal: q.abortSignal })
    for (const item of page.Items ?? []) each(bucketOf(item), item)
    startKey = page.LastEvaluatedKey
  } while (startKey)
}
