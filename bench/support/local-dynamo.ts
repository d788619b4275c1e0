/**
 * The benches' DynamoDB (tools/dynamodb-local/table-server.ts): AWS's DynamoDB Local on 127.0.0.1 by default,
 * dynalite where Java is missing (said in `label`, which the benches print), and the breaker table in it. Under Jest
 * (the chaos smoke test) it is the run's shared DynamoDB Local, reached through a proxy that gives the bench a
 * database of its own.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import { startDynamoDBProxy } from '../../tools/dynamodb-local/dynamodb-proxy.js'
import { startTableServer } from '../../tools/dynamodb-local/table-server.js'

/** DynamoDB Local and dynalite check no signatures, but the SDK will not sign without some keys. */
const CREDENTIALS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' }

export interface LocalDynamo {
  /** Client config that points at this server (endpoint, region, credentials); the store adds its own timeouts. */
  readonly clientConfig: DynamoDBClientConfig
  /** Which server it is, for the bench's output: `DynamoDB Local 3.3.1 (…)`, or `dynalite 4.0.0 (fallback: <why>)`. */
  readonly label: string
  /** Creates a breaker table (pk S / sk S, PAY_PER_REQUEST) and resolves when it is ACTIVE. */
  createBreakerTable(name: string): Promise<void>
  close(): Promise<void>
}

export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = await startTableServer()
  const proxy = server.owned ? undefined : await startDynamoDBProxy(server.endpoint, { namespace: `BWBENCH${process.pid}` })
  const clientConfig: DynamoDBClientConfig = { endpoint: proxy?.endpoint ?? server.endpoint, region: 'us-east-1', credentials: CREDENTIALS }
  const admin = new DynamoDBClient(clientConfig)
  return {
    clientConfig,
    label: server.label,
    async createBreakerTable(name) {
      await admin.send(new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        BillingMode: 'PAY_PER_REQUEST',
      }))
      for (;;) {
        const { Table } = await admin.send(new DescribeTableCommand({ TableName: name }))
        if (Table?.TableStatus === 'ACTIVE') return
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    },
    async close() {
      admin.destroy()
      await proxy?.close()
      await server.stop()
    },
  }
}
