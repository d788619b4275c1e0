/** Shapes shared by the chaos bench's fleet, strategies, summary and report. */
import type { Context } from 'aws-lambda'
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import type { FakeBedrock } from '../../test/support/fake-bedrock.js'

export type StrategyName = 'naive' | 'textbook' | 'cockatiel' | 'breakwater'
export const STRATEGIES: readonly StrategyName[] = ['naive', 'textbook', 'cockatiel', 'breakwater']

/**
 * ok: 200 from the primary target; degraded: 200 from a fallback (other region, smaller model, shorter context);
 * graceful: a shaped non-200 reply (e.g. 503 + Retry-After); raw-error: the handler threw; overrun: still running at
 * the Lambda timeout; throttled: no free instance within the concurrency limit.
 */
export type Outcome = 'ok' | 'degraded' | 'graceful' | 'raw-error' | 'overrun' | 'throttled'
export const OUTCOMES: readonly Outcome[] = ['ok', 'degraded', 'graceful', 'raw-error', 'overrun', 'throttled']

export type BreakerTo = 'open' | 'half-open' | 'closed'
export interface BreakerTransition { readonly atMs: number; readonly key: string; readonly to: BreakerTo; readonly instance: number }

export interface StrategyEnv {
  readonly server: FakeBedrock
  readonly timeoutMs: number
  /** Cooldown before a half-open probe, for both breakers (cockatiel's halfOpenAfter, Breakwater's cooldownMs). */
  readonly halfOpenAfterMs: number
  readonly dynamo: { readonly clientConfig: DynamoDBClientConfig; readonly tableName: string }
  readonly onBreaker: (t: Omit<BreakerTransition, 'atMs'>) => void
  readonly workload: Workload
}

export interface ChaosInstance {
  handle(event: unknown, context: Context): Promise<unknown>
  close(): void
  /** DynamoDB requests this instance made (Breakwater only). */
  readonly dynamo?: { reads: number; writes: number }
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
}

export interface RequestRecord {
  readonly id: number
  readonly atMs: number
  latencyMs: number
  outcome: Outcome
  instance: number
}

export interface UpstreamCall { readonly atMs: number; readonly requestId: number; readonly target: string; readonly status: string }

export interface StrategyRun {
  readonly strategy: StrategyName
  readonly requests: readonly RequestRecord[]
  readonly calls: readonly UpstreamCall[]
  readonly transitions: readonly BreakerTransition[]
  /** Sum over instances of their lifetime, seconds. */
  readonly instanceSeconds: number
  readonly instances: number
  readonly dynamo: { reads: number; writes: number }
}
