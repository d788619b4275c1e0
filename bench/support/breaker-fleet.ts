/**
 * A simulated fleet of Lambda instances sharing one breaker table: each instance is what the circuitBreaker
 * middleware builds per container (a CircuitBreaker over a FallbackBreakerStore over its own DynamoDBBreakerStore
 * with its own DynamoDBClient), on a simulated clock, so minutes of traffic run in seconds while every DynamoDB call
 * is real (dynalite). Each instance runs one invocation at a time, so diffing its store's `usage` around an
 * invocation counts exactly that invocation's DynamoDB calls.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import { DynamoDBBreakerStore, type StoreUsage } from '../../src/aws/dynamodb/store.js'
import { CircuitBreaker } from '../../src/core/breaker/circuit-breaker.js'
import { FallbackBreakerStore } from '../../src/core/breaker/fallback-store.js'
import type {
  BreakerEvent, BreakerRecord, BreakerStore, CompareAndSetResult, ProbeChange, WindowCounts,
} from '../../src/core/breaker/types.js'
import type { Clock } from '../../src/core/clock.js'
import { seededRandom } from '../../tools/fake-bedrock/fake-bedrock-faults.js'

/** The clock skew the middleware assumes when given a table (SHARED_CLOCK_SKEW_MS). */
const SHARED_CLOCK_SKEW_MS = 2_000
/** Simulated time starts here, so TTLs and bucket keys look like real ones. */
const EPOCH = Date.UTC(2026, 0, 1)
export const TARGET_KEY = 'us.anthropic.claude-3-5-haiku-20241022-v1:0@us-east-1'

export type PhaseName = 'warm-up' | 'steady' | 'outage' | 'recovery'
export interface Phase { readonly name: PhaseName; readonly seconds: number; readonly targetFails: boolean }

export interface FleetRun {
  readonly instances: number
  /** Invocations per second per instance. */
  readonly rate: number
  readonly phases: readonly Phase[]
  /** Invocations in one tick run concurrently (they race for conditional writes). */
  readonly tickMs: number
  /** Each instance's clock is off by a uniform draw in ±skewMs. */
  readonly skewMs: number
  readonly tableName: string
  readonly clientConfig: DynamoDBClientConfig
  readonly refreshMs?: number | undefined
  readonly flushMs?: number | undefined
  /**
   * How long the target takes to answer, a uniform draw in [min, max] ms per call: the verdict is recorded that
   * much after the admission, as in a real invocation. Default [0, 0] (both at the tick's time).
   */
  readonly latencyMs?: readonly [number, number] | undefined
  readonly seed: number
  /** Hears each transition and store error as it happens (`--verbose`). */
  readonly log?: ((line: string) => void) | undefined
}

export interface PhaseStats extends StoreUsage {
  readonly phase: PhaseName
  readonly seconds: number
  invocations: number
  /** Invocations that made at least one DynamoDB call. */
  withCall: number
  /** Invocations the breaker let through to the target (during an outage: calls to a dead target). */
  admitted: number
  rejected: number
  transitions: number
  /** Conditional writes (compareAndSet) whose condition failed. */
  conflicts: number
  storeErrors: number
}

export interface Timeline { readonly atMs: number; readonly from: string; readonly to: string }
export interface FleetResult {
  readonly phases: readonly PhaseStats[]
  readonly timeline: readonly Timeline[]
  readonly rejectedAfterClose: number
}

/** Counts the conditional writes that lost, which `usage` cannot tell from the ones that landed. */
class ConflictCountingStore implements BreakerStore {
  constructor(readonly inner: BreakerStore, readonly onConflict: () => void) {}
  read(key: string, now: number): Promise<BreakerRecord> { return this.inner.read(key, now) }
  recordOutcome(key: string, outcome: 'success' | 'failure', now: number, windowMs: number, sinceMs: number): Promise<WindowCounts> {
    return this.inner.recordOutcome(key, outcome, now, windowMs, sinceMs)
  }
  async compareAndSet(key: string, expected: BreakerRecord, next: BreakerRecord, change?: ProbeChange): Promise<CompareAndSetResult> {
    const result = await this.inner.compareAndSet(key, expected, next, change)
    if (!result.ok) this.onConflict()
    return result
  }
}

interface Instance {
  readonly store: DynamoDBBreakerStore
  readonly breaker: CircuitBreaker
  nextAtMs: number
  /** The running call's latency: this instance's clock reads that much past the tick while it records the verdict. */
  lagMs: number
}

/** The store periods the run sets; one it leaves out keeps the store's default. */
function storePeriods(run: FleetRun): { refreshMs?: number; flushMs?: number } {
  const periods: { refreshMs?: number; flushMs?: number } = {}
  if (run.refreshMs !== undefined) periods.refreshMs = run.refreshMs
  if (run.flushMs !== undefined) periods.flushMs = run.flushMs
  return periods
}

export async function runFleet(run: FleetRun): Promise<FleetResult> {
  const random = seededRandom(run.seed)
  const sim = { t: 0 }
  const stats = run.phases.map((p): PhaseStats => ({
    phase: p.name, seconds: p.seconds, invocations: 0, withCall: 0, admitted: 0, rejected: 0, transitions: 0, conflicts: 0,
    storeErrors: 0, gets: 0, queries: 0, puts: 0, updates: 0,
  }))
  const starts = run.phases.map((_, i) => run.phases.slice(0, i).reduce((sum, p) => sum + p.seconds * 1000, 0))
  const totalMs = run.phases.reduce((sum, p) => sum + p.seconds * 1000, 0)
  const phaseAt = (t: number): number => Math.max(0, starts.findLastIndex((s) => s <= t))
  const current = (): PhaseStats => stats[phaseAt(sim.t)] as PhaseStats
  const timeline: Timeline[] = []
  const listener = (event: BreakerEvent): void => {
    if (event.type === 'transition') {
      current().transitions++
      timeline.push({ atMs: sim.t, from: event.from, to: event.to })
      run.log?.(`${fmtS(sim.t)} ${event.from} -> ${event.to} (version ${event.record.version})`)
    } else if (event.type === 'store-error') {
      current().storeErrors++
      const error = event.error instanceof Error ? `${event.error.name}: ${event.error.message}` : String(event.error)
      run.log?.(`${fmtS(sim.t)} store error in ${event.operation}: ${error}`)
    }
  }

  const periodMs = 1000 / run.rate
  if (run.tickMs > periodMs) throw new Error(`--tick-ms ${run.tickMs} is longer than one invocation (${periodMs} ms)`)
  if ((run.latencyMs?.[1] ?? 0) + run.tickMs > periodMs) throw new Error(`--latency-ms past one invocation (${periodMs} ms) less a tick`)
  const fleet: Instance[] = []
  for (let i = 0; i < run.instances; i++) {
    const skew = Math.round((random() * 2 - 1) * run.skewMs)
    const self = { lagMs: 0 }
    const clock: Clock = { now: () => EPOCH + sim.t + skew + self.lagMs, sleep: async () => undefined }
    const store = new DynamoDBBreakerStore({ tableName: run.tableName, clientConfig: run.clientConfig, clock, ...storePeriods(run) })
    // As circuitBreaker({ tableName }) wires it: the shared store behind a local fallback, skew allowance 2 s.
    const fallback = new FallbackBreakerStore({
      primary: new ConflictCountingStore(store, () => current().conflicts++),
      clock,
      onError: (operation, key, error) => listener({ type: 'store-error', key, operation, error }),
    })
    const breaker = new CircuitBreaker({ store: fallback, clock, listener, policy: { clockSkewMs: SHARED_CLOCK_SKEW_MS } })
    // Instances start at random points of their first period: they are not synchronised.
    fleet.push(Object.assign(self, { store, breaker, nextAtMs: Math.floor(random() * periodMs) }))
  }

  // Rejections after the fleet closed the breaker again: instances still serving a cached half-open record.
  const failingFromMs = starts[run.phases.findIndex((p) => p.targetFails)] ?? totalMs
  let closedAtMs: number | undefined
  let rejectedAfterClose = 0
  for (let t = 0; t < totalMs; t += run.tickMs) {
    const due = fleet.filter((inst) => inst.nextAtMs < t + run.tickMs)
    if (due.length === 0) continue
    sim.t = t
    const phase = phaseAt(t)
    const spec = run.phases[phase] as Phase
    const s = stats[phase] as PhaseStats
    closedAtMs ??= timeline.find((e) => e.to === 'closed' && e.atMs >= failingFromMs)?.atMs
    await Promise.all(due.map(async (inst) => {
      inst.nextAtMs += periodMs
      const before = { ...inst.store.usage }
      const admission = await inst.breaker.admit(TARGET_KEY)
      if (admission.allowed) {
        s.admitted++
        const [min, max] = run.latencyMs ?? [0, 0]
        inst.lagMs = min + Math.floor(random() * (max - min + 1))
        if (spec.targetFails) await inst.breaker.onFailure(TARGET_KEY, admission)
        else await inst.breaker.onSuccess(TARGET_KEY, admission)
        inst.lagMs = 0
      } else {
        s.rejected++
        if (closedAtMs !== undefined) rejectedAfterClose++
      }
      const after = inst.store.usage
      const calls = {
        gets: after.gets - before.gets,
        queries: after.queries - before.queries,
        puts: after.puts - before.puts,
        updates: after.updates - before.updates,
      }
      s.invocations++
      s.gets += calls.gets
      s.queries += calls.queries
      s.puts += calls.puts
      s.updates += calls.updates
      if (calls.gets + calls.queries + calls.puts + calls.updates > 0) s.withCall++
    }))
  }
  return { phases: stats, timeline, rejectedAfterClose }
}

const fmtS = (ms: number): string => `${(ms / 1000).toFixed(2).padStart(7)} s`
