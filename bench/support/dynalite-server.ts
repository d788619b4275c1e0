/** An in-process dynalite (the real DynamoDB wire protocol, in memory) on 127.0.0.1, and the breaker table in it. */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import { createRequire } from 'node:module'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** dynalite ships no types; this is the part of it used here. */
type Dynalite = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite

/** dynalite checks neither signatures nor keys, but the SDK will not sign without some. */
const CREDENTIALS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' }

export interface LocalDynamo {
  /** Client config that points at this server (endpoint, region, credentials); the store adds its own timeouts. */
  readonly clientConfig: DynamoDBClientConfig
  /** Creates a breaker table (pk S / sk S, PAY_PER_REQUEST) and resolves when it is ACTIVE. */
  createBreakerTable(name: string): Promise<void>
  close(): Promise<void>
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const clientConfig: DynamoDBClientConfig = { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: CREDENTIALS }
  const admin = new DynamoDBClient(clientConfig)
  return {
    clientConfig,
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
      // Keep-alive sockets of the stores' clients would hold dynalite's graceful close open for 30 s.
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
