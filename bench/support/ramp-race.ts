/**
 * One half-open ramp raced by a fleet: N containers, each a CircuitBreaker over its own DynamoDBBreakerStore and
 * DynamoDBClient (as `circuitBreaker({ tableName })` builds them), on a simulated clock against a real table. The
 * target tripped just before the run (an open record whose cooldown ends 1 s in); every container sends its
 * invocations at `rate` per second, and one holding a probe permit is busy until its call returns (a random
 * latency), then reports the success. Invocations falling in one tick run at once, so they race for real.
 *
 * The state item's writes are counted on the wire (a middleware on each client): every PutItem or UpdateItem on
 * `sk = state` either lands or fails its condition (ConditionalCheckFailedException, billed like any write).
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import { DynamoDBBreakerStore } from '../../src/aws/dynamodb/store.js'
import { itemToRecord, recordToItem, stateKey } from '../../src/aws/dynamodb/items.js'
import { CircuitBreaker } from '../../src/core/breaker/circuit-breaker.js'
import { fleetPolicy } from '../../src/core/breaker/fleet.js'
import { stageSize } from '../../src/core/breaker/machine.js'
import { resolvePolicy } from '../../src/core/breaker/policy.js'
import { initialRecord, type Admission, type BreakerEvent, type BreakerRecord } from '../../src/core/breaker/types.js'
import type { Clock } from '../../src/core/clock.js'
import { seededRandom } from '../../tools/fake-bedrock/fake-bedrock-faults.js'

const EPOCH = Date.UTC(2026, 0, 1)
const KEY = 'us.anthropic.claude-3-5-haiku-20241022-v1:0@us-east-1'
/** The trip's cooldown ends this far into the run: first every container learns "open", then they race. */
const OPEN_FOR_MS = 1_000
/** A run that has not closed by then is reported as such. */
const GIVE_UP_MS = 120_000

export interface RaceRun {
  readonly containers: number
  /** Invocations per second each container sends while it is not busy with a probe. */
  readonly rate: number
  readonly tickMs: number
  /** A probe's call takes a uniform draw in [min, max] ms. */
  readonly callMs: readonly [number, number]
  readonly seed: number
  readonly tableName: string
  readonly clientConfig: DynamoDBClientConfig
}

/** Writes to the state item, as the wire saw them. */
export interface StateWrites { landed: number; failed: number; failedPuts: number; puts: number; updates: number }

export interface RaceResult extends StateWrites {
  /** Simulated ms from the open → half-open write to the half-open → closed one (undefined: it never closed). */
  readonly rampMs: number | undefined
  /** GetItems of the state (every container), and UpdateItems of window items (the successes' flushes). */
  readonly gets: number
  readonly windowUpdates: number
  readonly probes: number
  /** The most permits in flight plus passed at any tick, per stage, as a fraction of the stage: must be <= 1. */
  readonly fullestStage: number
  readonly storeErrors: number
  readonly transitions: readonly string[]
}

/** Counts the state item's writes on `client`'s wire (a failed condition is a write that lost). */
function countStateWrites(client: DynamoDBClient, writes: StateWrites, onWindowUpdate: () => void): void {
  client.middlewareStack.add((next, context) => async (args) => {
    const name = context.commandName
    const input = args.input as { Key?: { sk?: { S?: string } }; Item?: { sk?: { S?: string } } }
    const sk = input.Key?.sk?.S ?? input.Item?.sk?.S
    const isStateWrite = (name === 'PutItemCommand' || name === 'UpdateItemCommand') && sk === 'state'
    if (name === 'UpdateItemCommand' && sk !== 'state') onWindowUpdate()
    if (!isStateWrite) return next(args)
    if (name === 'PutItemCommand') writes.puts++
    else writes.updates++
    try {
      const out = await next(args)
      writes.landed++
      return out
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
        writes.failed++
        if (name === 'PutItemCommand') writes.failedPuts++
      }
      throw error
    }
  }, { step: 'initialize', name: 'countStateWrites' })
}

interface Container {
  readonly breaker: CircuitBreaker
  readonly store: DynamoDBBreakerStore
  nextAtMs: number
  probe?: { readonly admission: Admission; readonly endsAtMs: number }
}

export async function raceRamp(run: RaceRun): Promise<RaceResult> {
  const random = seededRandom(run.seed)
  const sim = { t: 0 }
  const clock: Clock = { now: () => EPOCH + sim.t, sleep: async () => undefined }
  const policy = fleetPolicy({})
  const stages = resolvePolicy(policy, 'bench')
  const writes: StateWrites = { landed: 0, failed: 0, failedPuts: 0, puts: 0, updates: 0 }
  let windowUpdates = 0
  const transitions: string[] = []
  let halfOpenAt: number | undefined
  let closedAt: number | undefined
  let storeErrors = 0
  let probes = 0
  const listener = (event: BreakerEvent): void => {
    if (event.type === 'transition') {
      transitions.push(`${event.from}>${event.to} +${sim.t} ms`)
      if (event.to === 'half-open') halfOpenAt ??= sim.t
      if (event.to === 'closed') closedAt ??= sim.t
    } else if (event.type === 'store-error') storeErrors++
    else if (event.type === 'probe-granted') probes++
  }

  const admin = new DynamoDBClient(run.clientConfig)
  const opened: BreakerRecord = {
    ...initialRecord(), state: 'open', version: 1, changedAt: EPOCH, openUntil: EPOCH + OPEN_FOR_MS, opens: 1,
  }
  await admin.send(new PutItemCommand({ TableName: run.tableName, Item: recordToItem(KEY, opened) }))

  const periodMs = 1000 / run.rate
  const containers: Container[] = []
  const clients: DynamoDBClient[] = []
  for (let i = 0; i < run.containers; i++) {
    // The store's own timeouts would turn this loaded host's slow answers into store errors: a generous budget.
    const client = new DynamoDBClient({ ...run.clientConfig, maxAttempts: 1 })
    countStateWrites(client, writes, () => windowUpdates++)
    clients.push(client)
    const store = new DynamoDBBreakerStore({ tableName: run.tableName, client, clock, operationTimeoutMs: 10_000 })
    const breaker = new CircuitBreaker({ store, clock, listener, policy })
    containers.push({ breaker, store, nextAtMs: Math.floor(random() * periodMs) })
  }

  let fullestStage = 0
  try {
    for (let t = 0; t < GIVE_UP_MS && (closedAt === undefined || containers.some((c) => c.probe)); t += run.tickMs) {
      sim.t = t
      const due = containers.filter((c) => (c.probe ? c.probe.endsAtMs <= t : c.nextAtMs <= t && closedAt === undefined))
      if (due.length === 0) continue
      await Promise.all(due.map(async (c) => {
        if (c.probe) {
          const { admission } = c.probe
          delete c.probe
          c.nextAtMs = Math.max(c.nextAtMs, t)
          await c.breaker.onSuccess(KEY, admission)
          return
        }
        c.nextAtMs += periodMs
        const admission = await c.breaker.admit(KEY)
        if (admission.allowed && admission.permit) {
          const [min, max] = run.callMs
          c.probe = { admission, endsAtMs: t + min + Math.floor(random() * (max - min + 1)) }
        }
      }))
      const stored = await readStored(admin, run.tableName)
      if (stored.state === 'half-open') {
        fullestStage = Math.max(fullestStage, (stored.permits.length + stored.stageSuccesses) / stageSize(stages, stored.stage))
      }
    }
  } finally {
    admin.destroy()
    for (const client of clients) client.destroy()
  }
  return {
    ...writes,
    rampMs: closedAt !== undefined && halfOpenAt !== undefined ? closedAt - halfOpenAt : undefined,
    gets: containers.reduce((sum, c) => sum + c.store.usage.gets, 0),
    windowUpdates,
    probes,
    fullestStage,
    storeErrors,
    transitions,
  }
}

async function readStored(client: DynamoDBClient, table: string): Promise<BreakerRecord> {
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: stateKey(KEY), ConsistentRead: true }))
  return Item ? itemToRecord(Item) : initialRecord()
}
