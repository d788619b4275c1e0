/** The numbers of one strategy's run: rates, latency, amplification, breaker timing, DynamoDB cost, and per-second series. */
import type { ChaosScenario } from './scenarios.js'
import { halfOpenProbes, type HalfOpenProbes } from './probes.js'
import { percentile, streamSummary, type StreamSummary } from './stream-summary.js'
import { OUTCOMES, type BreakerTo, type BreakerTransition, type Outcome, type StrategyRun } from './types.js'

export interface Summary {
  readonly requests: number
  readonly outcomes: Record<Outcome, number>
  /** ok + degraded, over all requests. */
  readonly successRate: number
  readonly degradedRate: number
  readonly rawErrorRate: number
  readonly overruns: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** Upstream Bedrock calls per request. */
  readonly amplification: number
  /** Calls to a target the same request had already called, per request. */
  readonly retriesPerRequest: number
  /**
   * Upstream calls that failed (any answer but 200), from the moment every target that opened in the fault had
   * opened (the fault's start for a strategy without a breaker) to the fault's end, per request arriving then: what
   * dead targets cost once the fleet knows them.
   * Null without a fault window.
   */
  readonly failingCallsPerRequest: number | null
  /** Seconds from the fault's start to the first breaker opening; null when none opened. */
  readonly timeToTripS: number | null
  /** Seconds from the fault's end to the last breaker closing; null when none closed after it (or none opened). */
  readonly timeToRecoverS: number | null
  /** Half-open episodes and the probes each stage admitted (mean per episode); null without a breaker. */
  readonly probes: HalfOpenProbes | null
  readonly instances: number
  readonly instanceSeconds: number
  readonly dynamo: {
    readonly reads: number; readonly writes: number; readonly perRequest: number; readonly perInstanceSecond: number
    /** Breaker-store calls that failed and fell back to the instance's local state. */
    readonly storeErrors: number
  }
  /** Stream scenarios only (null otherwise): whole and truncated answers, time to first token, overruns. */
  readonly stream: StreamSummary | null
  /** Sum of the invocations' durations, seconds: what the fleet's Lambda concurrency paid (throttled requests cost none). */
  readonly busySeconds: number
  /** Capacity scenarios only (null otherwise): the goodput ceiling of the strategy's route and its share served. */
  readonly capacity: CapacitySummary | null
}

export interface CapacitySummary {
  /** Requests offered (arrivals). */
  readonly offered: number
  /** Arrivals the quotas of the targets the route can reach could admit (`ceiling.ts`). */
  readonly ceiling: number
  /** Requests served (ok + degraded). */
  readonly goodput: number
  /** goodput / ceiling. */
  readonly share: number
  /** Upstream calls answered 429. */
  readonly throttled429: number
}

export interface Series {
  /** Per second of arrival: requests by outcome. */
  readonly outcomes: Record<Outcome, number[]>
  /** Per second: upstream calls started. */
  readonly calls: number[]
  /** Breaker transitions (target key → [second, state]); fleet-wide for Breakwater, any instance for cockatiel. */
  readonly breaker: Record<string, [number, BreakerTo][]>
  /** Capacity scenarios: per second, the arrivals the strategy's goodput ceiling admits (`ceiling.ts`). */
  readonly ceiling?: readonly number[]
}

const round = (n: number, digits = 3): number => Number(n.toFixed(digits))

/** `ceiling`: the goodput ceiling of the strategy's route in a capacity scenario (`goodputCeiling`), else undefined. */
export function summarize(run: StrategyRun, scenario: ChaosScenario, ceiling?: number): Summary {
  const n = run.requests.length || 1
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>
  for (const r of run.requests) outcomes[r.outcome]++
  const served = run.requests.filter((r) => r.outcome !== 'throttled').map((r) => r.latencyMs).sort((a, b) => a - b)
  const seen = new Set<string>()
  let retries = 0
  for (const c of run.calls) {
    const key = `${c.requestId}|${c.target}`
    if (seen.has(key)) retries++
    seen.add(key)
  }
  const fault = scenario.fault
  const opens = run.transitions.filter((t) => t.to === 'open')
  const firstOpen = fault ? opens.find((t) => t.atMs >= fault.fromS * 1000) : undefined
  const closes = run.transitions.filter((t) => t.to === 'closed' && fault && t.atMs >= fault.toS * 1000)
  const lastClose = closes.at(-1)
  const ddbOps = run.dynamo.reads + run.dynamo.writes
  return {
    requests: run.requests.length,
    outcomes,
    successRate: round((outcomes.ok + outcomes.degraded) / n),
    degradedRate: round(outcomes.degraded / n),
    rawErrorRate: round(outcomes['raw-error'] / n),
    overruns: outcomes.overrun,
    p50Ms: Math.round(percentile(served, 0.5)),
    p99Ms: Math.round(percentile(served, 0.99)),
    amplification: round(run.calls.length / n),
    retriesPerRequest: round(retries / n),
    failingCallsPerRequest: fault ? failingCallsPerRequest(run, allTripped(opens, fault.fromS * 1000), fault.toS * 1000) : null,
    timeToTripS: fault && firstOpen ? round(firstOpen.atMs / 1000 - fault.fromS, 2) : null,
    timeToRecoverS: fault && lastClose && firstOpen ? round(lastClose.atMs / 1000 - fault.toS, 2) : null,
    probes: halfOpenProbes(run),
    instances: run.instances,
    instanceSeconds: round(run.instanceSeconds, 1),
    dynamo: {
      reads: run.dynamo.reads, writes: run.dynamo.writes, storeErrors: run.dynamo.storeErrors,
      perRequest: round(ddbOps / n), perInstanceSecond: round(ddbOps / Math.max(run.instanceSeconds, 1e-9)),
    },
    stream: scenario.workload?.stream ? streamSummary(run) : null,
    busySeconds: round(run.requests.reduce((sum, r) => sum + (r.outcome === 'throttled' ? 0 : r.latencyMs), 0) / 1000, 1),
    capacity: ceiling === undefined ? null : {
      offered: run.requests.length, ceiling, goodput: outcomes.ok + outcomes.degraded,
      share: round((outcomes.ok + outcomes.degraded) / Math.max(ceiling, 1)),
      throttled429: run.calls.filter((c) => c.status === '429').length,
    },
  }
}

/** When the last target to open in the fault first opened (`fromMs` when none did). */
function allTripped(opens: readonly BreakerTransition[], fromMs: number): number {
  const first = new Map<string, number>()
  for (const t of opens) if (t.atMs >= fromMs && !first.has(t.key)) first.set(t.key, t.atMs)
  return Math.max(fromMs, ...first.values())
}

function failingCallsPerRequest(run: StrategyRun, fromMs: number, toMs: number): number {
  const inside = (atMs: number): boolean => atMs >= fromMs && atMs < toMs
  const failing = run.calls.filter((c) => inside(c.atMs) && c.status !== '200').length
  return round(failing / Math.max(1, run.requests.filter((r) => inside(r.atMs)).length))
}

export function series(run: StrategyRun, durationS: number, ceiling?: readonly number[]): Series {
  const seconds = Math.ceil(durationS)
  const zeros = (): number[] => Array.from({ length: seconds }, () => 0)
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, zeros()])) as Record<Outcome, number[]>
  const at = (ms: number): number => Math.min(seconds - 1, Math.max(0, Math.floor(ms / 1000)))
  for (const r of run.requests) (outcomes[r.outcome] as number[])[at(r.atMs)]! += 1
  const calls = zeros()
  for (const c of run.calls) calls[at(c.atMs)]! += 1
  const breaker: Record<string, [number, BreakerTo][]> = {}
  for (const t of run.transitions) (breaker[t.key] ??= []).push([round(t.atMs / 1000, 2), t.to])
  return ceiling ? { outcomes, calls, breaker, ceiling } : { outcomes, calls, breaker }
}
