/**
 * Chaos scenarios: a fault script over time for the fake Bedrock. Each step replaces the whole plan at `atS`
 * (seconds from the start of the run), so a fault starts and ends at known times and the report can shade it.
 */
import type { FaultRule } from '../../test/support/fake-bedrock.js'
import { PRIMARY_MODEL, SMALL_MODEL } from '../scenarios.js'

export { PRIMARY_MODEL, SMALL_MODEL }
export const PRIMARY_REGION = 'us-east-1'
export const SECONDARY_REGION = 'us-west-2'

export interface ScriptStep { readonly atS: number; readonly rules: readonly FaultRule[]; readonly label: string }

export interface ChaosScenario {
  readonly name: string
  readonly summary: string
  /** Seconds of traffic. */
  readonly durationS: number
  /** The window the fault is active, seconds: shaded in the chart, the reference for time to trip / recover. */
  readonly fault?: { readonly fromS: number; readonly toS: number }
  readonly script: readonly ScriptStep[]
}

const HEALTHY: ScriptStep = { atS: 0, rules: [], label: 'healthy' }

/** A scenario with a healthy lead-in, `rules` from `fromS` to `toS`, then healthy again until `durationS`. */
function window(name: string, summary: string, fromS: number, toS: number, durationS: number, rules: readonly FaultRule[]): ChaosScenario {
  return {
    name, summary, durationS, fault: { fromS, toS },
    script: [HEALTHY, { atS: fromS, rules, label: name }, { atS: toS, rules: [], label: 'recovered' }],
  }
}

const scenarios: readonly ChaosScenario[] = [
  { name: 'healthy', summary: 'every region and model answers', durationS: 20, script: [HEALTHY] },
  window('regional-outage', `${PRIMARY_REGION} answers 503 to every call for 20 s, then recovers`, 10, 30, 50,
    [{ kind: 'unavailable', region: PRIMARY_REGION }]),
  window('throttling-storm', 'half of all calls (every region and model) get 429 for 15 s', 10, 25, 40,
    [{ kind: 'throttle', probability: 0.5 }]),
  window('full-outage', 'every region and model answers 503 for 20 s', 10, 30, 50, [{ kind: 'unavailable' }]),
  window('hangs', `${PRIMARY_REGION} accepts calls and never answers for 15 s`, 10, 25, 40,
    [{ kind: 'hang', region: PRIMARY_REGION }]),
]

export const CHAOS_SCENARIOS: ReadonlyMap<string, ChaosScenario> = new Map(scenarios.map((s) => [s.name, s]))
/** What `npm run bench:chaos` runs when no scenario is named. */
export const DEFAULT_SCENARIOS = ['healthy', 'regional-outage', 'throttling-storm'] as const

/** The scenario with every time multiplied by `scale` (0.25: four times shorter). The Lambda timeout is not scaled. */
export function scaled(s: ChaosScenario, scale: number, durationS?: number): ChaosScenario {
  const k = (t: number): number => t * scale
  return {
    ...s,
    durationS: durationS ?? k(s.durationS),
    ...(s.fault && { fault: { fromS: k(s.fault.fromS), toS: k(s.fault.toS) } }),
    script: s.script.map((step) => ({ ...step, atS: k(step.atS) })),
  }
}
