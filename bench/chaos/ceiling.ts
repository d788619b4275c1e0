/**
 * The goodput ceiling of a capacity scenario, per strategy: how many of the run's arrivals could be served at all,
 * given the quotas of the targets the strategy's route can reach — min(offered load, reachable quota) over the run,
 * with requests and tokens per minute both binding and the buckets' bursts counted.
 *
 * It is computed from the scenario's script, not from the run: the same QuotaBook the fake uses, on a clock that
 * jumps from arrival to arrival, with the script's quota changes at their times, and a perfect router — each
 * arrival admitted, once, by the first target of the route that has room (no retries, no waiting), charged what the
 * fake would charge (input + maxTokens, the unused output refunded at once, as the fake's replies are instant).
 * A strategy that makes a request wait for room (a retry after the spike) can serve more than this on-arrival bound.
 */
import { SYSTEM_PROMPT } from '../../examples/chat/chat-request.js'
import type { TargetSpec } from '../../src/index.js'
import { QuotaBook } from '../../tools/fake-bedrock/fake-bedrock-quota.js'
import { estimateTokens } from '../../tools/fake-bedrock/fake-bedrock-wire.js'
import { ROUTES } from '../../tools/fake-bedrock/scenarios.js'
import { JSON_INSTRUCTION } from './baseline-calls.js'
import { PRIMARY_MODEL, PRIMARY_REGION, SECONDARY_REGION, SMALL_MODEL } from './scenarios.js'
import type { Arrival, ChaosScenario, FleetStrategy, Workload } from './types.js'

export interface RouteTarget { readonly model: string; readonly region: string; readonly maxTokens: number }

/** Output tokens every strategy asks for (the sample handler's default and the baselines'). */
const MAX_TOKENS = 1024

/** Breakwater's cascade, from the routes its handler is given; a target's `maxTokens` caps the request's. */
function breakwaterRoute(): RouteTarget[] {
  const chat = ROUTES.chat
  if (chat === undefined) throw new Error('chaos bench: ROUTES has no chat route')
  const specs: readonly TargetSpec[] = 'targets' in chat ? chat.targets : chat
  return specs.map((spec) => {
    if (typeof spec !== 'string') {
      return { model: spec.model, region: spec.region, maxTokens: Math.min(MAX_TOKENS, spec.maxTokens ?? MAX_TOKENS) }
    }
    const at = spec.lastIndexOf('@')
    return { model: spec.slice(0, at), region: spec.slice(at + 1), maxTokens: MAX_TOKENS }
  })
}

/** The targets a strategy's requests can reach, in the order it tries them (`baselines.ts`, `breakwater-strategy.ts`). */
export function routeOf(strategy: FleetStrategy, workload: Workload = {}): RouteTarget[] {
  const primary = { model: PRIMARY_MODEL, region: PRIMARY_REGION, maxTokens: MAX_TOKENS }
  if (strategy === 'breakwater' || strategy === 'breakwater-b') return breakwaterRoute()
  if (strategy === 'naive') return [primary]
  const fallback = workload.stream ? { ...primary, region: SECONDARY_REGION } : { ...primary, model: SMALL_MODEL }
  return [primary, fallback]
}

/** Characters of input the fake counts for an arrival: the system prompt the callers send, the history, the prompt. */
function inputChars(a: Arrival, workload: Workload): number {
  const system = workload.json ? JSON_INSTRUCTION : workload.stream ? '' : SYSTEM_PROMPT
  return system.length + (a.history ?? []).reduce((n, t) => n + t.content.length, 0) + a.prompt.length
}

/** Arrivals the ceiling admits, in all and per second of arrival. */
export interface Ceiling { readonly admitted: number; readonly perSecond: readonly number[] }

/** The ceiling of a strategy's route; undefined for a scenario without quotas (no ceiling but the offered load). */
export function goodputCeiling(strategy: FleetStrategy, scenario: ChaosScenario, load: readonly Arrival[]): Ceiling | undefined {
  if (!scenario.script.some((step) => step.quotas)) return undefined
  const workload = scenario.workload ?? {}
  const route = routeOf(strategy, workload)
  let now = 0
  const book = new QuotaBook(() => now)
  const steps = [...scenario.script].sort((a, b) => a.atS - b.atS)
  let next = 0
  let admitted = 0
  const perSecond = Array.from({ length: Math.ceil(scenario.durationS) }, () => 0)
  for (const a of load) {
    while (next < steps.length && (steps[next]?.atS ?? 0) * 1000 <= a.atMs) {
      const step = steps[next++]
      now = (step?.atS ?? 0) * 1000
      book.replace(step?.quotas ?? [])
    }
    now = a.atMs
    const inputTokens = estimateTokens(inputChars(a, workload))
    for (const t of route) {
      const admission = book.admit({ model: t.model, region: t.region, inputTokens, maxTokens: t.maxTokens })
      if (!admission.admitted) continue
      // The fake's default reply: `echo: <prompt> [model@region]`.
      admission.settle(estimateTokens(`echo: ${a.prompt} [${t.model}@${t.region}]`.length))
      admitted++
      const second = Math.min(perSecond.length - 1, Math.floor(a.atMs / 1000))
      perSecond[second] = (perSecond[second] ?? 0) + 1
      break
    }
  }
  return { admitted, perSecond }
}
