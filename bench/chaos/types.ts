/** Shapes shared by the chaos bench's fleet, strategies, summary and report. */
import type { Context } from 'aws-lambda'
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import type { FaultRule, QuotaRule } from '../../tools/fake-bedrock/fake-bedrock.js'

export type StrategyName = 'naive' | 'textbook' | 'cockatiel' | 'sdk-adaptive' | 'dynamodb-lww' | 'breakwater'
export const STRATEGIES: readonly StrategyName[] = ['naive', 'textbook', 'cockatiel', 'sdk-adaptive', 'dynamodb-lww', 'breakwater']
/**
 * What a fleet can run: the six, and `breakwater-b`, Breakwater with the options of `InstanceConfig.variant` on top
 * (`npm run bench:ab`, outside the chaos tables).
 */
export type FleetStrategy = StrategyName | 'breakwater-b'

/** Breakwater options a `breakwater-b` fleet adds (plain data: it crosses into the instances' worker threads). */
export interface BreakwaterVariant {
  readonly fallback?: Readonly<Record<string, unknown>>
  readonly breaker?: Readonly<Record<string, unknown>>
}
/** The strategies whose breaker lives in the scenario's DynamoDB table (behind the switch `dynamodb-down` turns off). */
export const DYNAMODB_STRATEGIES: ReadonlySet<FleetStrategy> = new Set(['dynamodb-lww', 'breakwater', 'breakwater-b'])

/**
 * ok: 200 from the primary target; degraded: 200 from a fallback (other region, smaller model, shorter context);
 * graceful: a shaped non-200 reply (e.g. 503 + Retry-After); raw-error: the handler threw; overrun: still running at
 * the Lambda timeout; throttled: no free instance within the concurrency limit.
 */
export type Outcome = 'ok' | 'degraded' | 'graceful' | 'raw-error' | 'overrun' | 'throttled'
export const OUTCOMES: readonly Outcome[] = ['ok', 'degraded', 'graceful', 'raw-error', 'overrun', 'throttled']

export type BreakerTo = 'open' | 'half-open' | 'closed'
export interface BreakerTransition { readonly atMs: number; readonly key: string; readonly to: BreakerTo; readonly instance: number }

/** A half-open probe admitted by Breakwater's fleet breaker, and the stage (0, 1, 2 → 1, 5, 10 probes) it belongs to. */
export interface ProbeGrant { readonly atMs: number; readonly key: string; readonly stage: number }

/** What an instance is built from: plain data, so it crosses into the instance's worker thread. */
export interface InstanceConfig {
  /** The fake Bedrock's endpoint (its own per strategy). */
  readonly bedrockEndpoint: string
  readonly timeoutMs: number
  /** Cooldown before a half-open probe, for both breakers (cockatiel's halfOpenAfter, Breakwater's cooldownMs). */
  readonly halfOpenAfterMs: number
  readonly dynamo: { readonly clientConfig: DynamoDBClientConfig; readonly tableName: string }
  readonly workload: Workload
  /** For `breakwater-b`. */
  readonly variant?: BreakwaterVariant
}

/** An instance's config plus the hooks through which it reports breaker events to its worker's parent. */
export interface StrategyEnv extends InstanceConfig {
  readonly onBreaker: (t: Omit<BreakerTransition, 'atMs'>) => void
  readonly onProbe: (p: Omit<ProbeGrant, 'atMs'>) => void
}

export interface ChaosInstance {
  handle(event: unknown, context: Context): Promise<unknown>
  close(): void
  /** DynamoDB requests this instance made, and breaker-store failures it fell back to local state on (DYNAMODB_STRATEGIES). */
  readonly dynamo?: DynamoCounts
}

export interface Turn { readonly role: 'user' | 'assistant'; readonly content: string }
export interface Arrival { readonly id: number; readonly atMs: number; readonly prompt: string; readonly history?: readonly Turn[] }

/** What the callers send and ask for: a share of long conversations, and whether the reply must be JSON. */
export interface Workload {
  /** Share in [0, 1] of arrivals that carry a prior conversation of `historyTurns` messages. */
  readonly longShare?: number
  readonly historyTurns?: number
  /** The caller wants `{ "answer": string }` back: Breakwater asks with `responseSchema`, the baselines JSON.parse. */
  readonly json?: boolean
  /** The caller streams: ConverseStream, read to its end (Breakwater: `converseStream`). */
  readonly stream?: boolean
}

export interface RequestRecord {
  readonly id: number
  readonly atMs: number
  latencyMs: number
  outcome: Outcome
  instance: number
  /** Streamed requests: ms from the invocation's start to the first text the handler read (none: no first token). */
  ttftMs?: number
  /** Streamed requests delivered as a success: the answer lacked its end (its stream never reached messageStop). */
  truncated?: boolean
}

/** What an instance reports for one invocation. */
export interface InvocationResult {
  readonly outcome: Outcome
  readonly ttftMs?: number
  readonly truncated?: boolean
}

export interface UpstreamCall { readonly atMs: number; readonly requestId: number; readonly target: string; readonly status: string }

export interface StrategyRun {
  readonly strategy: FleetStrategy
  readonly requests: readonly RequestRecord[]
  readonly calls: readonly UpstreamCall[]
  readonly transitions: readonly BreakerTransition[]
  readonly probes: readonly ProbeGrant[]
  /** Sum over instances of their lifetime, seconds. */
  readonly instanceSeconds: number
  readonly instances: number
  readonly dynamo: DynamoCounts
}

export interface DynamoCounts { readonly reads: number; readonly writes: number; readonly storeErrors: number }

/**
 * A step of a chaos scenario's script, `scenarios.ts`: from `atS` on, the fake's plan is `rules` and its quotas are
 * `quotas` (none when left out: every call admitted, as before quotas). `malformed`: from this step on, successful
 * replies of `model` are prose instead of JSON with this probability.
 */
export interface ScriptStep {
  readonly atS: number
  readonly rules: readonly FaultRule[]
  readonly label: string
  readonly quotas?: readonly QuotaRule[]
  readonly malformed?: { readonly model: string; readonly probability: number }
}

/** From `fromS` to `toS` the arrival rate is `factor` times the run's `--rate` (1 elsewhere). */
export interface RateStep { readonly fromS: number; readonly toS: number; readonly factor: number }

export interface ChaosScenario {
  readonly name: string
  readonly summary: string
  /** Seconds of traffic. */
  readonly durationS: number
  /** The window the fault is active, seconds: shaded in the chart, the reference for time to trip / recover. */
  readonly fault?: { readonly fromS: number; readonly toS: number }
  readonly script: readonly ScriptStep[]
  /** What the callers send (long histories) and want (JSON). Default: a one-line prompt, plain text. */
  readonly workload?: Workload
  /** The window the breaker table's DynamoDB stops answering (connections hang), seconds. */
  readonly dynamodbDown?: { readonly fromS: number; readonly toS: number }
  /** Instances' clocks alternate between this far ahead of and behind true time, ms (0 or absent: true time). */
  readonly clockSkewMs?: number
  /** The offered load over time, as multiples of `--rate`. Absent: `--rate` throughout. */
  readonly rateProfile?: readonly RateStep[]
}
