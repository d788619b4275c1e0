/**
 * Chaos scenarios: a fault script over time for the fake Bedrock. Each step replaces the whole plan (and the quotas)
 * at `atS` (seconds from the start of the run), so a fault starts and ends at known times and the report can shade it.
 */
import type { FaultRule } from '../../tools/fake-bedrock/fake-bedrock.js'
import { PRIMARY_MODEL, SMALL_MODEL } from '../../tools/fake-bedrock/scenarios.js'
import { quotaScenarios } from './quota-scenarios.js'
import { streamScenarios } from './stream-scenarios.js'
import type { ChaosScenario, ScriptStep, Workload } from './types.js'

export { PRIMARY_MODEL, SMALL_MODEL }
export const PRIMARY_REGION = 'us-east-1'
export const SECONDARY_REGION = 'us-west-2'

export type { ChaosScenario, ScriptStep } from './types.js'
export { atRate, NOMINAL_RATE } from './quota-scenarios.js'

const HEALTHY: ScriptStep = { atS: 0, rules: [], label: 'healthy' }

/** A scenario with a healthy lead-in, `rules` from `fromS` to `toS`, then healthy again until `durationS`. */
function window(name: string, summary: string, fromS: number, toS: number, durationS: number, rules: readonly FaultRule[],
  extra: Pick<ChaosScenario, 'workload' | 'dynamodbDown' | 'clockSkewMs'> & Pick<ScriptStep, 'malformed'> = {}): ChaosScenario {
  const { malformed, ...rest } = extra
  const faulty: Writable<ScriptStep> = { atS: fromS, rules, label: name }
  if (malformed) faulty.malformed = malformed
  return {
    name, summary, durationS, fault: { fromS, toS }, ...rest,
    script: [HEALTHY, faulty, { atS: toS, rules: [], label: 'recovered' }],
  }
}

/** The fault for the whole run: no lead-in, no recovery. */
function sustained(name: string, summary: string, durationS: number, rules: readonly FaultRule[], workload?: Workload): ChaosScenario {
  const scenario: Writable<ChaosScenario> = {
    name, summary, durationS, fault: { fromS: 0, toS: durationS }, script: [{ atS: 0, rules, label: name }],
  }
  if (workload) scenario.workload = workload
  return scenario
}

type Writable<T> = { -readonly [K in keyof T]: T[K] }

/** Prior messages a long conversation carries; every model rejects more than CONTEXT_MESSAGES messages. */
const HISTORY_TURNS = 12
const CONTEXT_MESSAGES = 4

const scenarios: readonly ChaosScenario[] = [
  { name: 'healthy', summary: 'every region and model answers', durationS: 20, script: [HEALTHY] },
  window('regional-outage', `${PRIMARY_REGION} answers 503 to every call for 20 s, then recovers`, 10, 30, 50,
    [{ kind: 'unavailable', region: PRIMARY_REGION }]),
  // The coin-flip storm, for comparison with the capacity one (`throttling-storm`, quota-scenarios.ts).
  window('throttling-coin-flip', 'half of all calls (every region and model) get 429 for 15 s, a coin flip per call', 10, 25, 40,
    [{ kind: 'throttle', probability: 0.5 }]),
  window('full-outage', 'every region and model answers 503 for 20 s', 10, 30, 50, [{ kind: 'unavailable' }]),
  window('hangs', `${PRIMARY_REGION} accepts calls and never answers for 15 s`, 10, 25, 40,
    [{ kind: 'hang', region: PRIMARY_REGION }]),
  sustained('sustained-throttle', `${PRIMARY_REGION} answers 429 to 70 % of calls for the whole run`, 30,
    [{ kind: 'throttle', region: PRIMARY_REGION, probability: 0.7 }]),
  sustained('context-overflow',
    `30 % of requests carry a ${HISTORY_TURNS}-message history; every model rejects more than ${CONTEXT_MESSAGES} messages ("Input is too long")`,
    20,
    [{ kind: 'context-overflow', whenLongerThan: { messages: CONTEXT_MESSAGES } }], { longShare: 0.3, historyTurns: HISTORY_TURNS }),
  window('malformed-output', 'callers want JSON; the primary model answers prose instead 50 % of the time for 15 s', 5, 20, 25, [],
    { workload: { json: true }, malformed: { model: PRIMARY_MODEL, probability: 0.5 } }),
  window('dynamodb-down',
    `the breaker table's DynamoDB hangs from 10 s to 35 s; inside it ${PRIMARY_REGION} answers 503 for 15 s`, 15, 30, 50,
    [{ kind: 'unavailable', region: PRIMARY_REGION }], { dynamodbDown: { fromS: 10, toS: 35 } }),
  window('clock-skew', `instances' clocks alternate 2 s ahead / 2 s behind; ${PRIMARY_REGION} answers 503 for 20 s`, 10, 30, 50,
    [{ kind: 'unavailable', region: PRIMARY_REGION }], { clockSkewMs: 2_000 }),
  window('slow-first-byte', `${PRIMARY_REGION} answers every call after 4 s for 15 s`, 10, 25, 40,
    [{ kind: 'delay', region: PRIMARY_REGION, delayMs: 4_000 }]),
  ...quotaScenarios(PRIMARY_REGION, SECONDARY_REGION),
  ...streamScenarios(PRIMARY_REGION),
]

export const CHAOS_SCENARIOS: ReadonlyMap<string, ChaosScenario> = new Map(scenarios.map((s) => [s.name, s]))
/** What `npm run bench:chaos` runs when no scenario is named. */
export const DEFAULT_SCENARIOS = ['healthy', 'regional-outage', 'throttling-storm'] as const
/** `npm run bench:chaos -- streams`: every stream scenario. */
export const STREAM_SCENARIOS = scenarios.filter((s) => s.workload?.stream).map((s) => s.name)

/**
 * The scenario with every time multiplied by `scale` (0.25: four times shorter). The Lambda timeout is not scaled, nor
 * are quotas (rates) and their bursts (seconds of refill).
 */
export function scaled(s: ChaosScenario, scale: number, durationS?: number): ChaosScenario {
  const k = (t: number): number => t * scale
  const out: Writable<ChaosScenario> = {
    ...s,
    durationS: durationS ?? k(s.durationS),
    script: s.script.map((step) => ({ ...step, atS: k(step.atS) })),
  }
  if (s.fault) out.fault = { fromS: k(s.fault.fromS), toS: k(s.fault.toS) }
  if (s.dynamodbDown) out.dynamodbDown = { fromS: k(s.dynamodbDown.fromS), toS: k(s.dynamodbDown.toS) }
  if (s.rateProfile) out.rateProfile = s.rateProfile.map((p) => ({ ...p, fromS: k(p.fromS), toS: k(p.toS) }))
  return out
}
