/**
 * The DynamoDB that the suites, the benches and `npm run invoke` run on: AWS's DynamoDB Local (dynamodb-local.ts) by
 * default; dynalite (npm, in-process) only where DynamoDB Local cannot run, and then it says so and why. Under CI
 * (`CI=true`) a missing Java is an error instead: CI must not pass on dynalite without anyone noticing.
 *
 * Under Jest one DynamoDB Local serves the whole run: jest-dynamodb-local.setup.mjs calls `startRunTableServer()`,
 * which spawns it and warms it up in the background, and names it in BREAKWATER_TABLE_SERVER; `startTableServer()`
 * in a suite then waits until it is warm and uses it (each user gets a database of its own through dynamodb-proxy.ts). Elsewhere
 * `startTableServer()` starts a server of its own, which `stop()` stops.
 */
import { createRequire } from 'node:module'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exitedProcess, prepareDynamoDBLocal, spawnDynamoDBLocal, waitUntilAnswering } from './dynamodb-local.js'
import { waitUntilWarm, warmUp } from './dynamodb-local-warmup.js'

export type TableServerKind = 'dynamodb-local' | 'dynalite'

export interface TableServer {
  readonly endpoint: string
  readonly kind: TableServerKind
  /** What it is, for output: `DynamoDB Local 3.3.1 (…) on Java 17.0.15`, or `dynalite 4.0.0 (fallback: <why>)`. */
  readonly label: string
  /** False for the run's shared DynamoDB Local: `stop()` then leaves it running. */
  readonly owned: boolean
  stop(): Promise<void>
}

/** What Jest's globalSetup tells the suites, as JSON in this variable. */
const ENV = 'BREAKWATER_TABLE_SERVER'
type Announced =
  | { readonly endpoint: string; readonly pid: number; readonly log: string; readonly label: string }
  | { readonly fallback: string }

const isCI = (): boolean => /^(1|true|yes)$/i.test(process.env.CI ?? '')

/** The fallback, or under CI an error: both name the reason. */
function fallbackOrFail(reason: string, announce: boolean): string {
  if (isCI()) {
    throw new Error(`DynamoDB Local cannot run: ${reason}. CI=${process.env.CI}, so the tests do not fall back to dynalite: ` +
      'install a JDK 17 or later (Debian: apt-get install openjdk-17-jdk-headless) so that `java` and `javac` are on PATH.')
  }
  if (announce) {
    console.warn(`DynamoDB: falling back to dynalite (in-process, npm) because ${reason}. dynalite has no TTL and ignores ` +
      'ReturnValuesOnConditionCheckFailure; install a JDK 17 or later to run on AWS\'s DynamoDB Local.')
  }
  return reason
}

/** For Jest's globalSetup: spawns the run's DynamoDB Local (without waiting) and announces it, or the fallback. */
export async function startRunTableServer(): Promise<{ readonly label: string; stop(): Promise<void> }> {
  const setup = prepareDynamoDBLocal()
  if (typeof setup === 'string') {
    const reason = fallbackOrFail(setup, true)
    process.env[ENV] = JSON.stringify({ fallback: reason } satisfies Announced)
    return {
      label: `dynalite (fallback: ${reason})`,
      async stop() { console.warn(`DynamoDB: these tests ran on dynalite, not DynamoDB Local, because ${reason}.`) },
    }
  }
  const local = await spawnDynamoDBLocal(setup)
  process.env[ENV] = JSON.stringify({ endpoint: local.endpoint, pid: local.pid, log: local.log, label: local.label } satisfies Announced)
  // In the background, while Jest starts and runs the suites that need no DynamoDB; those that do wait for it.
  const warming = waitUntilAnswering(local.endpoint, { gone: () => exitedProcess(local.pid, local.log) })
    .then(() => warmUp(local.endpoint))
    .catch(() => undefined) // the suites see the same failure, and report it
  return {
    label: local.label,
    async stop() {
      await local.stop()
      await warming
    },
  }
}

/** The run's shared server when there is one, else a server of the caller's own (DynamoDB Local, or dynalite). */
export async function startTableServer(): Promise<TableServer> {
  const raw = process.env[ENV]
  const announced = raw ? JSON.parse(raw) as Announced : undefined
  if (announced && 'endpoint' in announced) {
    await waitUntilAnswering(announced.endpoint, { gone: () => exitedProcess(announced.pid, announced.log) })
    await waitUntilWarm(announced.endpoint, { gone: () => exitedProcess(announced.pid, announced.log) })
    return { endpoint: announced.endpoint, kind: 'dynamodb-local', label: announced.label, owned: false, stop: async () => undefined }
  }
  // Jest's globalSetup has already said why (once for the run); elsewhere say it now.
  if (announced) return startDynalite(announced.fallback)
  const setup = prepareDynamoDBLocal()
  if (typeof setup === 'string') return startDynalite(fallbackOrFail(setup, true))
  const local = await spawnDynamoDBLocal(setup)
  try {
    await waitUntilAnswering(local.endpoint, { gone: () => exitedProcess(local.pid, local.log) })
    await warmUp(local.endpoint)
  } catch (error) {
    await local.stop()
    throw error
  }
  return { endpoint: local.endpoint, kind: 'dynamodb-local', label: local.label, owned: true, stop: () => local.stop() }
}

type Dynalite = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server

async function startDynalite(reason: string): Promise<TableServer> {
  const require = createRequire(import.meta.url)
  const dynalite = require('dynalite') as Dynalite
  const version = (require('dynalite/package.json') as { version: string }).version
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    kind: 'dynalite',
    label: `dynalite ${version} (fallback: ${reason})`,
    owned: true,
    async stop() {
      // Keep-alive sockets of the clients would hold a graceful close open for seconds.
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
