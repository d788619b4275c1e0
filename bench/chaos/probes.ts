/**
 * Probes per half-open stage, measured. Breakwater: every probe permit the fleet breaker granted, assigned to the
 * target's latest half-open transition (an episode) and counted per stage (1 → 5 → 10 by default). dynamodb-lww:
 * its one shared item's half-open episodes, counted as the fleet's calls to the target until the next transition
 * (any instance's: half-open lets every call through). cockatiel: each instance's own half-open episodes, counted
 * as the calls that instance made to the target while half-open.
 */
import type { BreakerTransition, StrategyRun } from './types.js'

export interface HalfOpenProbes {
  /** Half-open episodes: fleet-wide for Breakwater and dynamodb-lww, per instance for cockatiel. */
  readonly halfOpens: number
  /** Mean probes per episode in each stage, over the episodes that reached it. */
  readonly perStage: readonly number[]
}

const mean = (xs: readonly number[]): number => Number((xs.reduce((a, b) => a + b, 0) / (xs.length || 1)).toFixed(2))

/** Per stage, the mean of the counts of the episodes that have one. */
function perStage(episodes: readonly number[][]): number[] {
  const stages = Math.max(0, ...episodes.map((e) => e.length))
  return Array.from({ length: stages }, (_, i) => mean(episodes.map((e) => e[i] ?? 0).filter((n) => n > 0)))
}

function fleetProbes(run: StrategyRun): HalfOpenProbes {
  const opens = run.transitions.filter((t) => t.to === 'half-open')
  const episodes = opens.map((): number[] => [])
  for (const p of run.probes) {
    // The episode: the latest half-open of this target at or before the grant.
    const i = opens.findLastIndex((t) => t.key === p.key && t.atMs <= p.atMs)
    const episode = episodes[i]
    if (episode) episode[p.stage] = (episode[p.stage] ?? 0) + 1
  }
  return { halfOpens: opens.length, perStage: perStage(episodes) }
}

function instanceProbes(run: StrategyRun): HalfOpenProbes {
  const instanceOf = new Map(run.requests.map((r) => [r.id, r.instance]))
  const byInstance = new Map<string, BreakerTransition[]>()
  for (const t of run.transitions) byInstance.set(`${t.instance}|${t.key}`, [...(byInstance.get(`${t.instance}|${t.key}`) ?? []), t])
  const episodes: number[][] = []
  for (const list of byInstance.values()) {
    list.forEach((t, i) => {
      if (t.to !== 'half-open') return
      const until = list[i + 1]?.atMs ?? Infinity
      const calls = run.calls.filter((c) =>
        c.target === t.key && c.atMs >= t.atMs && c.atMs < until && instanceOf.get(c.requestId) === t.instance)
      episodes.push([calls.length])
    })
  }
  return { halfOpens: episodes.length, perStage: perStage(episodes) }
}

function sharedItemProbes(run: StrategyRun): HalfOpenProbes {
  const episodes: number[][] = []
  run.transitions.forEach((t, i) => {
    if (t.to !== 'half-open') return
    const until = run.transitions.slice(i + 1).find((n) => n.key === t.key)?.atMs ?? Infinity
    episodes.push([run.calls.filter((c) => c.target === t.key && c.atMs >= t.atMs && c.atMs < until).length])
  })
  return { halfOpens: episodes.length, perStage: perStage(episodes) }
}

export function halfOpenProbes(run: StrategyRun): HalfOpenProbes | null {
  if (run.strategy === 'breakwater') return fleetProbes(run)
  if (run.strategy === 'cockatiel') return instanceProbes(run)
  if (run.strategy === 'dynamodb-lww') return sharedItemProbes(run)
  return null
}
