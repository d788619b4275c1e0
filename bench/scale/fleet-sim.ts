/**
 * N simulated Lambda containers sharing one breaker table, on the scheduler's clock. Each container is what the
 * circuitBreaker middleware builds for a table: a CircuitBreaker (fleet policy) over the real DynamoDBBreakerStore,
 * whose DynamoDB client is the fake one (`fake-client.ts`) answering from one in-process table (`table-model.ts`).
 * A container serves one invocation at a time, `rate` a second, through `breaker.run()` as the engine does; the
 * Bedrock call takes `callMs` (healthy) or `failMs` (a fast 503) of simulated time. Phases: healthy, failing
 * (every call fails), recovering (healthy again: half-open ramp and close), after a warm-up in which the containers
 * start at random times (real ones are born apart; a fleet started in one second would refresh and flush in step).
 */
import { DynamoDBBreakerStore } from '../../src/aws/dynamodb/store.js'
import { CircuitBreaker } from '../../src/core/breaker/circuit-breaker.js'
import { fleetPolicy } from '../../src/core/breaker/fleet.js'
import type { BreakerEvent } from '../../src/core/breaker/types.js'
import type { Clock } from '../../src/core/clock.js'
import { seededRandom } from '../../tools/fake-bedrock/fake-bedrock-faults.js'
import { FakeDynamoDBClient, type WireDesign } from './fake-client.js'
import { Scheduler } from './scheduler.js'
import { TableModel, type TableTotals } from './table-model.js'

/** Simulated time starts here, so bucket keys and TTLs look like real ones. */
const EPOCH = Date.UTC(2026, 0, 1)
const TABLE = 'breakwater-scale'
export const TARGET_KEY = 'us.anthropic.claude-sonnet-4-20250514-v1:0@us-east-1'

export type PhaseName = 'warm-up' | 'healthy' | 'failing' | 'recovering'
export interface Phase { readonly name: PhaseName; readonly seconds: number }

export interface ScaleRun {
  readonly containers: number
  readonly design: WireDesign
  readonly phases: readonly Phase[]
  /** Invocations per second per container. */
  readonly rate: number
  readonly callMs: number
  readonly failMs: number
  readonly latencyMs: number
  readonly seed: number
}

export interface PhaseResult {
  readonly phase: PhaseName
  readonly seconds: number
  invocations: number
  /** Calls the breakers let through to the target. */
  admitted: number
  storeErrors: number
  transitions: number
  /** The busiest partition key's busiest second: write and read units asked for (throttled or not). */
  peakWcu: number
  peakRcu: number
  /** The table's counters over the phase. */
  table: TableTotals
}

export interface ScaleResult {
  readonly phases: readonly PhaseResult[]
  /** Seconds from the failing phase's start to the fleet's first open; null if it never opened. */
  readonly tripS: number | null
  /** Seconds from the recovering phase's start to the last close; null if it did not close. */
  readonly closeS: number | null
  /** Containers that ran on local state at least once (their shared store failed or throttled). */
  readonly containersLocal: number
}

const diff = (a: TableTotals, b: TableTotals): TableTotals =>
  Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof TableTotals] - b[k as keyof TableTotals]])) as unknown as TableTotals

/** The busiest (partition key, second) of [from, to) epoch ms, in write and read units asked for. */
function peaks(table: TableModel, from: number, to: number): { wcu: number; rcu: number } {
  let wcu = 0
  let rcu = 0
  for (const bySecond of table.demand.values()) {
    for (const [s, used] of bySecond) {
      if (s * 1000 < from || s * 1000 >= to) continue
      wcu = Math.max(wcu, used.wcu)
      rcu = Math.max(rcu, used.rcu)
    }
  }
  return { wcu, rcu }
}

export async function runScale(run: ScaleRun): Promise<ScaleResult> {
  const sim = new Scheduler(EPOCH)
  const table = new TableModel(() => sim.now())
  const random = seededRandom(run.seed)
  const starts = run.phases.map((_, i) => EPOCH + run.phases.slice(0, i).reduce((n, p) => n + p.seconds * 1000, 0))
  const end = EPOCH + run.phases.reduce((n, p) => n + p.seconds * 1000, 0)
  const phaseAt = (t: number): number => Math.max(0, starts.findLastIndex((s) => s <= t))
  const results: PhaseResult[] = run.phases.map((p) => ({
    phase: p.name, seconds: p.seconds, invocations: 0, admitted: 0, storeErrors: 0, transitions: 0, peakWcu: 0, peakRcu: 0,
    table: { ...table.totals },
  }))
  const failingAt = starts[run.phases.findIndex((p) => p.name === 'failing')]
  const recoveringAt = starts[run.phases.findIndex((p) => p.name === 'recovering')]
  let firstOpen: number | undefined
  let lastClose: number | undefined
  const local = new Set<number>()
  const clock: Clock = { now: () => sim.now(), sleep: (ms) => sim.sleep(ms) }
  const policy = fleetPolicy({})

  const containers = Array.from({ length: run.containers }, (_, id) => {
    const client = new FakeDynamoDBClient({ table, sim, design: run.design, container: id, random, latencyMs: run.latencyMs })
    const store = new DynamoDBBreakerStore({ tableName: TABLE, client: client as never, clock })
    const listener = (event: BreakerEvent): void => {
      const r = results[phaseAt(sim.now())] as PhaseResult
      if (event.type === 'store-error') {
        r.storeErrors++
        local.add(id)
      } else if (event.type === 'transition') {
        r.transitions++
        if (event.to === 'open' && failingAt !== undefined && sim.now() >= failingAt) firstOpen ??= sim.now()
        if (event.to === 'closed') lastClose = sim.now()
      }
    }
    return new CircuitBreaker({ store, clock, listener, policy })
  })

  const period = 1000 / run.rate
  const warmUp = run.phases[0]?.name === 'warm-up' ? run.phases[0].seconds * 1000 : period
  const serve = async (breaker: CircuitBreaker): Promise<void> => {
    await sim.sleep(random() * warmUp)
    while (sim.now() < end) {
      const began = sim.now()
      const phase = phaseAt(began)
      const r = results[phase] as PhaseResult
      const failing = run.phases[phase]?.name === 'failing'
      r.invocations++
      await breaker.run(TARGET_KEY, async () => {
        r.admitted++
        await sim.sleep(failing ? run.failMs : run.callMs)
        return { verdict: failing ? 'failure' : 'success', value: undefined }
      }, () => undefined)
      await sim.sleep(Math.max(0, began + period - sim.now()))
    }
  }
  const done = Promise.all(containers.map(serve))
  for (const [i, at] of starts.entries()) {
    await sim.run(at - 1)
    if (i > 0) (results[i - 1] as PhaseResult).table = diff(table.totals, (results[i - 1] as PhaseResult).table)
    ;(results[i] as PhaseResult).table = { ...table.totals }
  }
  await sim.run(end + 5_000)
  await done
  const [unanswerable] = table.unanswerable
  if (unanswerable) throw new Error(`scale model: ${table.unanswerable.length} requests the table cannot answer: ${unanswerable.message}`)
  const last = results.at(-1) as PhaseResult
  last.table = diff(table.totals, last.table)
  for (const [i, r] of results.entries()) {
    const p = peaks(table, starts[i] as number, (starts[i + 1] ?? end) as number)
    r.peakWcu = p.wcu
    r.peakRcu = p.rcu
  }
  return {
    phases: results,
    tripS: firstOpen !== undefined && failingAt !== undefined ? (firstOpen - failingAt) / 1000 : null,
    closeS: lastClose !== undefined && recoveringAt !== undefined && lastClose >= recoveringAt ? (lastClose - recoveringAt) / 1000 : null,
    containersLocal: local.size,
  }
}
