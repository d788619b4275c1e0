/** Shared by the engine's tests: targets, a scripted upstream, and a request with every policy in force. */
import { Deadline } from '../../../src/core/backoff/deadline.js'
import { RetryBudget } from '../../../src/core/backoff/retry-budget.js'
import { DEFAULT_BACKOFF_POLICY, DEFAULT_RETRY_BUDGET } from '../../../src/core/backoff/types.js'
import { CircuitBreaker } from '../../../src/core/breaker/circuit-breaker.js'
import { MemoryBreakerStore } from '../../../src/core/breaker/memory-store.js'
import { DEFAULT_FALLBACK_POLICY, truncateHistory, reduceMaxTokens } from '../../../src/core/fallback/policy.js'
import type { ConverseLike } from '../../../src/core/fallback/messages.js'
import type { CallFn, CascadePolicies, CascadeRequest } from '../../../src/core/invoker/types.js'
import type { Target } from '../../../src/core/targets.js'
import { SimClock } from '../../support/sim-clock.js'

export const EAST: Target = { model: 'anthropic.claude-3-haiku', region: 'us-east-1' }
export const WEST: Target = { model: 'anthropic.claude-3-haiku', region: 'us-west-2' }
export const SMALL: Target = { model: 'amazon.nova-micro-v1:0', region: 'us-east-1', maxTokens: 256 }

export const sdkError = (name: string, status: number, message = name): Error =>
  Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } })

export type Input = ConverseLike
export interface Script { [region: string]: Array<Error | 'ok' | 'hang'> | undefined }

/** A call that answers from a per-region script (last entry repeats), recording what it was sent. */
export function scripted(clock: SimClock, script: Script, latencyMs = 50) {
  const sent: Array<{ target: Target; input: Input; at: number }> = []
  const call: CallFn<Input, string> = async (target, input, signal) => {
    sent.push({ target, input, at: clock.now() })
    const list = script[target.region] ?? ['ok']
    const step = list.length > 1 ? list.shift() : list[0]
    if (step === 'hang') return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
    await clock.sleep(latencyMs, signal)
    if (step instanceof Error) throw step
    return `ok from ${target.region}`
  }
  return { call, sent }
}

export function setup(opts: {
  remainingMs?: number; policies?: Partial<CascadePolicies>; full?: boolean
  breaker?: ConstructorParameters<typeof CircuitBreaker>[0]['policy']
} = {}) {
  const clock = new SimClock()
  const policies: CascadePolicies = opts.full === false ? {} : {
    breaker: new CircuitBreaker({ store: new MemoryBreakerStore(), clock, policy: { consecutiveFailures: 3, ...opts.breaker } }),
    backoff: { policy: DEFAULT_BACKOFF_POLICY, budget: new RetryBudget(DEFAULT_RETRY_BUDGET, clock) },
    fallback: DEFAULT_FALLBACK_POLICY,
    ...opts.policies,
  }
  const request = (call: CallFn<Input, string>, extra: Partial<CascadeRequest<Input, string>> = {}): CascadeRequest<Input, string> => ({
    route: 'default',
    targets: [EAST, WEST, SMALL],
    input: { messages: [{ role: 'user', content: [{ text: 'hi' }] }] },
    call,
    policies,
    deadline: new Deadline(clock, opts.remainingMs ?? 30_000, DEFAULT_BACKOFF_POLICY.reserveMs),
    clock,
    random: () => 0.5,
    adapter: { truncate: truncateHistory, reduceTokens: (i) => reduceMaxTokens(i, DEFAULT_FALLBACK_POLICY) },
    ...extra,
  })
  return { clock, policies, request }
}

