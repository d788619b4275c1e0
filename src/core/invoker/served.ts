import type { AttemptRecord } from '../attempts.js'
import type { Target } from '../targets.js'
import type { Degradation, Served } from './types.js'

/** The most telling degradation first: a different model matters more to a caller than a shorter answer. */
const WEIGHT: Readonly<Record<Degradation, number>> = {
  cached: 4, 'fallback-target': 3, 'truncated-context': 2, 'reduced-max-tokens': 1,
}

export function servedBy(route: string, target: Target, attempts: readonly AttemptRecord[], degradations: readonly Degradation[]): Served {
  const calls = attempts.filter((a) => !a.outcome.startsWith('skipped')).length
  const worst = [...degradations].sort((a, b) => WEIGHT[b] - WEIGHT[a])[0]
  return Object.freeze({
    route,
    model: target.model,
    region: target.region,
    attempts: calls,
    degraded: worst ?? false,
    degradations: Object.freeze([...degradations]),
  })
}
