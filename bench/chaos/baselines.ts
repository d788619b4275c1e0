/**
 * The four "usual" recipes, written the way a user would write them without Breakwater: a plain Lambda handler that
 * calls Bedrock and returns a 200, or lets the error escape (the caller then sees a raw error). In a stream scenario
 * the same recipe wraps a ConverseStream call read until its iterator ends (`baseline-calls.ts`).
 * Every instance builds its own clients, as a Lambda container would at init.
 */
import {
  circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleAll, retry, wrap,
} from 'cockatiel'
import { seededRandom } from '../../tools/fake-bedrock/fake-bedrock.js'
import { baselineCalls, type HttpEvent } from './baseline-calls.js'
import { PRIMARY_MODEL, PRIMARY_REGION } from './scenarios.js'
import type { ChaosInstance, StrategyEnv } from './types.js'

export { bedrockConfig, JSON_INSTRUCTION } from './baseline-calls.js'

/** 1. naive: the SDK's defaults (standard retry mode, 3 attempts), one model, one region. */
export function naive(env: StrategyEnv): ChaosInstance {
  const calls = baselineCalls(env)
  return { handle: (event) => calls.primary(event as HttpEvent, Date.now()), close: () => calls.close() }
}

/** Throttling, 5xx, timeouts and network errors (and, for a JSON caller, a reply that did not parse): what a careful user retries. */
function retryable(error: unknown): boolean {
  const e = error as { $metadata?: { httpStatusCode?: number }; name?: string }
  const status = e.$metadata?.httpStatusCode
  return status === undefined || status === 408 || status === 429 || status >= 500
}

/**
 * 2. textbook: up to 5 attempts with full-jitter exponential backoff (base 250 ms, cap 8 s), then one fallback call
 * (the smaller model; streamed: the next region).
 */
export function textbook(env: StrategyEnv, id: number): ChaosInstance {
  const calls = baselineCalls(env, { maxAttempts: 1 })
  const random = seededRandom(1000 + id)
  const handle = async (event: unknown) => {
    const began = Date.now()
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        return await calls.primary(event as HttpEvent, began)
      } catch (error) {
        if (!retryable(error) || attempt === 4) break
        const waitMs = random() * Math.min(8_000, 250 * 2 ** attempt)
        await new Promise((resolve) => setTimeout(resolve, waitMs))
      }
    }
    return calls.fallback(event as HttpEvent, began)
  }
  return { handle, close: () => calls.close() }
}

/**
 * 3. cockatiel: an in-instance breaker (5 consecutive failures, half-open after `halfOpenAfterMs`) inside cockatiel's
 * retry (3 retries, exponential backoff), then the fallback call. Each instance has its own breaker.
 */
export function cockatiel(env: StrategyEnv, id: number): ChaosInstance {
  const calls = baselineCalls(env, { maxAttempts: 1 })
  const breaker = circuitBreaker(handleAll, { halfOpenAfter: env.halfOpenAfterMs, breaker: new ConsecutiveBreaker(5) })
  const policy = wrap(retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }), breaker)
  const key = `${PRIMARY_MODEL}@${PRIMARY_REGION}`
  breaker.onBreak(() => env.onBreaker({ key, to: 'open', instance: id }))
  breaker.onHalfOpen(() => env.onBreaker({ key, to: 'half-open', instance: id }))
  breaker.onReset(() => env.onBreaker({ key, to: 'closed', instance: id }))
  const handle = async (event: unknown) => {
    const began = Date.now()
    try {
      return await policy.execute(() => calls.primary(event as HttpEvent, began))
    } catch {
      return calls.fallback(event as HttpEvent, began)
    }
  }
  return { handle, close: () => calls.close() }
}

/**
 * 4. sdk-adaptive: the SDK's own client-side rate limiter — `retryMode: 'adaptive'`, 5 attempts — which slows the
 * client's sends after throttling (a CUBIC token bucket per client), then the fallback call, as textbook's. The
 * limiter is per client, so it learns only from this instance's 429s, and it paces the fallback model's calls too.
 */
export function sdkAdaptive(env: StrategyEnv): ChaosInstance {
  const calls = baselineCalls(env, { retryMode: 'adaptive', maxAttempts: 5 })
  const handle = async (event: unknown) => {
    const began = Date.now()
    try {
      return await calls.primary(event as HttpEvent, began)
    } catch {
      return calls.fallback(event as HttpEvent, began)
    }
  }
  return { handle, close: () => calls.close() }
}
