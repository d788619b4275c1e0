/**
 * A real DynamoDB endpoint for the breaker-store tests: dynalite (npm) started in-process on 127.0.0.1 at a random
 * port, or, when `BREAKWATER_DYNAMODB_ENDPOINT` is set, a server someone else started (e.g. `moto_server -p 5123`
 * and `BREAKWATER_DYNAMODB_ENDPOINT=http://127.0.0.1:5123 npm run test:unit -- test/aws/dynamodb`).
 *
 * Only a dynalite this process owns can be taken down and brought back (`takeDown` / `bringBack`, same port); a
 * suite that needs that wraps it in `describeWithOutage`, which skips it, saying why, against an external server.
 * dynalite keeps its data in memory, so bringing it back gives an empty store: the tables are created again, empty,
 * as a table a fleet meets for the first time.
 */
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import type { Server } from 'node:http'
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { createRequire } from 'node:module'

const ENV = 'BREAKWATER_DYNAMODB_ENDPOINT'
const external = process.env[ENV]?.trim() || undefined

/** True when the tests run against a server this process did not start (and so cannot stop). */
export const usingExternalEndpoint = external !== undefined

/** `describe` for suites that stop the server mid-run: skipped, with the reason in its title, against an external one. */
export const describeWithOutage = (name: string, fn: () => void): void => {
  if (usingExternalEndpoint) describe.skip(`${name} [skipped: ${ENV} points at a server this suite cannot stop]`, fn)
  else describe(name, fn)
}

/** Credentials the emulators accept (they sign, nobody checks). */
export const FAKE_DYNAMODB_CREDENTIALS = { accessKeyId: 'AKIDFAKEDYNAMODB', secretAccessKey: 'fake-secret-key' } as const
export const REGION = 'us-east-1'

type Dynalite = (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite

export interface TestDynamoDB {
  readonly endpoint: string
  /** endpoint, region and credentials: what `DynamoDBBreakerStore({ clientConfig })` needs to build its default client. */
  readonly clientConfig: DynamoDBClientConfig
  /** A client with SDK retries off (`maxAttempts: 1`), destroyed by `stop()`. */
  client(extra?: DynamoDBClientConfig): DynamoDBClient
  /** Creates a fresh breaker table (pk S / sk S, on demand) and returns its name. */
  newTable(): Promise<string>
  /**
   * Stops the server (own dynalite only). `'refuse'`: the port is closed; `'hang'`: something accepts connections on
   * it and never answers, as a DynamoDB that has gone slow.
   */
  takeDown(mode?: 'refuse' | 'hang'): Promise<void>
  /** Starts dynalite again on the same port and re-creates every table made so far (empty). */
  bringBack(): Promise<void>
  /** Destroys the clients, deletes the tables on an external server, stops dynalite. */
  stop(): Promise<void>
}

export async function startDynamoDB(): Promise<TestDynamoDB> {
  let server: Server | undefined
  let blackHole: { server: NetServer; sockets: Set<Socket> } | undefined
  let port = 0
  if (!external) {
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
    port = await listen(server, 0)
  }
  const endpoint = external ?? `http://127.0.0.1:${port}`
  const clientConfig: DynamoDBClientConfig = { endpoint, region: REGION, credentials: FAKE_DYNAMODB_CREDENTIALS }
  const clients: DynamoDBClient[] = []
  const tables: string[] = []
  const client = (extra: DynamoDBClientConfig = {}): DynamoDBClient => {
    const c = new DynamoDBClient({ ...clientConfig, maxAttempts: 1, ...extra })
    clients.push(c)
    return c
  }
  const admin = client()
  const own = (what: string): Server => {
    if (!server) throw new Error(`${what}: only a dynalite started by the suite can be stopped (${ENV} is set)`)
    return server
  }

  return {
    endpoint,
    clientConfig,
    client,
    async newTable() {
      const name = `breaker-${process.pid}-${tables.length + 1}-${Math.random().toString(36).slice(2, 8)}`
      await createTable(admin, name)
      tables.push(name)
      return name
    },
    async takeDown(mode = 'refuse') {
      await close(own('takeDown'))
      if (mode === 'hang') blackHole = await hangOn(port)
    },
    async bringBack() {
      const s = own('bringBack')
      if (blackHole) await closeBlackHole(blackHole)
      blackHole = undefined
      await listen(s, port)
      for (const t of tables) await createTable(admin, t)
    },
    async stop() {
      if (external) await Promise.allSettled(tables.map((t) => admin.send(new DeleteTableCommand({ TableName: t }))))
      for (const c of clients) c.destroy()
      if (blackHole) await closeBlackHole(blackHole)
      if (server?.listening) await close(server)
    },
  }
}

async function createTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: name,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    BillingMode: 'PAY_PER_REQUEST',
  }))
  for (let i = 0; i < 200; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }))
    if (Table?.TableStatus === 'ACTIVE') return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`table ${name} did not become ACTIVE`)
}

function listen(server: Server | NetServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

/** Closes the server and every connection to it, idle or not, so clients see the outage at once. */
function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()))
    server.closeAllConnections()
  })
}

/** A listener that takes connections and never answers: requests run into the client's own timeout. */
async function hangOn(port: number): Promise<{ server: NetServer; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.on('close', () => sockets.delete(socket))
  })
  await listen(server, port)
  return { server, sockets }
}

function closeBlackHole(hole: { server: NetServer; sockets: Set<Socket> }): Promise<void> {
  for (const s of hole.sockets) s.destroy()
  return new Promise((resolve) => hole.server.close(() => resolve()))
}
