/**
 * Warming up a DynamoDB Local that has just started, before anything races it. A fresh JVM takes seconds over its
 * first bursts of requests; the breaker store gives each operation 700 ms, so a cold server would turn the first
 * suite's 50-instance races into store errors. Whoever warms a JVM marks it (a `warm` table in a database of its
 * own), so any process sharing it can tell, and wait for it.
 */
import {
  CreateTableCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand, QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb'

/** The database (access key id) warmUp works in; its `warm` table says a JVM has been warmed. */
const WARM_NAMESPACE = 'BWWARMUP'

/**
 * Runs the requests the breaker store makes (conditional PutItem, ADD UpdateItem, Query, GetItem), 50 at a time,
 * until a round of them is fast (2-3 s on two cores), then marks the JVM warm.
 */
export async function warmUp(endpoint: string): Promise<void> {
  const client = warmClient(endpoint)
  try {
    if (await isWarm(client)) return
    const TableName = `warming-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
    await createPkSkTable(client, TableName)
    const deadline = Date.now() + 10_000
    for (let round = 0; round < 12 && Date.now() < deadline; round++) {
      const started = Date.now()
      await Promise.all(Array.from({ length: 50 }, async (_, i) => {
        const pk = { S: `k${i % 5}` }
        await client.send(new PutItemCommand({
          TableName,
          Item: { pk, sk: { S: 'state' }, version: { N: String(round) } },
          ConditionExpression: 'attribute_not_exists(pk) OR version < :v',
          ExpressionAttributeValues: { ':v': { N: String(round) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })).catch(() => undefined) // most of them lose the race, as they should
        await client.send(new UpdateItemCommand({
          TableName,
          Key: { pk, sk: { S: `w#${round}` } },
          UpdateExpression: 'ADD calls :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        }))
        await client.send(new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: { ':pk': pk, ':a': { S: 'w#' }, ':b': { S: 'w#~' } },
          ConsistentRead: true,
        }))
        await client.send(new GetItemCommand({ TableName, Key: { pk, sk: { S: 'state' } }, ConsistentRead: true }))
      }))
      if (round >= 1 && Date.now() - started < 800) break // 200 requests, 50 at a time, in under 0.8 s: warm enough
    }
    await client.send(new DeleteTableCommand({ TableName }))
  } finally {
    // Marked even when something above failed: whoever waits for it should go on, not hang.
    await createPkSkTable(client, 'warm').catch(() => undefined) // (or another process marked it first)
    client.destroy()
  }
}

/** Waits until `warmUp` (running elsewhere: Jest's globalSetup) has marked the JVM warm. */
export async function waitUntilWarm(endpoint: string, o: { timeoutMs?: number; gone?: () => string | undefined } = {}): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 60_000)
  const client = warmClient(endpoint)
  try {
    while (!(await isWarm(client))) {
      const why = o.gone?.()
      if (why !== undefined) throw new Error(`DynamoDB Local at ${endpoint} is not running: ${why}`)
      if (Date.now() > deadline) throw new Error(`DynamoDB Local at ${endpoint} was not warmed up within ${o.timeoutMs ?? 60_000} ms`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    client.destroy()
  }
}

const warmClient = (endpoint: string): DynamoDBClient => new DynamoDBClient({
  endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: WARM_NAMESPACE, secretAccessKey: 'none' },
})

const isWarm = async (client: DynamoDBClient): Promise<boolean> =>
  Boolean((await client.send(new ListTablesCommand({}))).TableNames?.includes('warm'))

async function createPkSkTable(client: DynamoDBClient, TableName: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName, BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }))
}
