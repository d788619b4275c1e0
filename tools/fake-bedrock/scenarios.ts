/**
 * The world the demo (and the sample handler's tests) run in: the routes a typical user configures, and one fault
 * plan per scenario for the fake Bedrock server.
 */
import type { FaultRule } from './fake-bedrock.js'
import type { BreakwaterOptions } from '../../src/index.js'

export const PRIMARY_MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0'
export const SMALL_MODEL = 'anthropic.claude-3-haiku-20240307-v1:0'

/** The primary model, the same in another region, then a smaller, cheaper model with fewer output tokens. */
export const ROUTES: BreakwaterOptions['routes'] = {
  chat: [
    `${PRIMARY_MODEL}@us-east-1`,
    `${PRIMARY_MODEL}@us-west-2`,
    { model: SMALL_MODEL, region: 'us-east-1', maxTokens: 512 },
  ],
}

/**
 * Policy tuning for a short demo: the breaker opens after 3 consecutive failures (default 5) so it shows within
 * five invocations, and one attempt may take at most 2 s (default 30 s) so a hung call is given up quickly.
 */
export const DEMO_POLICIES = {
  breaker: { consecutiveFailures: 3, cooldownMs: 30_000 },
  backoff: { attemptTimeoutMs: 2_000 },
} as const satisfies Pick<BreakwaterOptions, 'breaker' | 'backoff'>

/** Every model's context window, in characters of prompt: beyond it the fake answers like Bedrock ("Input is too long"). */
export const CONTEXT_WINDOW_CHARS = 32_000
const CONTEXT_WINDOW: FaultRule = { kind: 'context-overflow', whenLongerThan: { chars: CONTEXT_WINDOW_CHARS } }

export interface Scenario {
  readonly name: string
  readonly summary: string
  readonly plan: readonly FaultRule[]
}

const scenarios: readonly Scenario[] = [
  { name: 'healthy', summary: 'every region answers', plan: [CONTEXT_WINDOW] },
  {
    name: 'regional-outage',
    summary: 'us-east-1 answers 503 ServiceUnavailable to every call; us-west-2 is fine',
    plan: [{ kind: 'unavailable', region: 'us-east-1' }, CONTEXT_WINDOW],
  },
  {
    name: 'throttling',
    summary: 'the primary model is throttled (429) in us-east-1 always and in us-west-2 half the time',
    plan: [
      { kind: 'throttle', model: PRIMARY_MODEL, region: 'us-east-1' },
      { kind: 'throttle', model: PRIMARY_MODEL, region: 'us-west-2', probability: 0.5 },
      CONTEXT_WINDOW,
    ],
  },
  { name: 'all-down', summary: 'every model in every region answers 503', plan: [{ kind: 'unavailable' }] },
  {
    name: 'context-overflow',
    summary: 'the primary model rejects conversations of more than 3 messages as too long',
    plan: [{ kind: 'context-overflow', model: PRIMARY_MODEL, whenLongerThan: { messages: 3 } }, CONTEXT_WINDOW],
  },
  {
    name: 'hang',
    summary: 'us-east-1 accepts calls and never answers',
    plan: [{ kind: 'hang', region: 'us-east-1' }, CONTEXT_WINDOW],
  },
]

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map(scenarios.map((s) => [s.name, s]))

/** Thrown for a scenario name that does not exist; the CLI prints the list and exits 2. */
export class UnknownScenarioError extends Error {
  constructor(readonly scenario: string) {
    super(`unknown scenario "${scenario}"`)
    this.name = 'UnknownScenarioError'
  }
}

export function scenarioNamed(name: string): Scenario {
  const scenario = SCENARIOS.get(name)
  if (!scenario) throw new UnknownScenarioError(name)
  return scenario
}

/** "scenario  summary" lines, for usage messages. */
export function scenarioList(): string {
  const width = Math.max(...scenarios.map((s) => s.name.length))
  return scenarios.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`).join('\n')
}
