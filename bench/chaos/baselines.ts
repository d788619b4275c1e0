/**
 * The three "usual" recipes, written the way a user would write them without Breakwater: a plain Lambda handler that
 * calls Bedrock and returns a 200, or lets the error escape (the caller then sees a raw error).
 * Every instance builds its own clients, as a Lambda container would at init.
 */
import {
  BedrockRuntimeClient, ConverseCommand, type BedrockRuntimeClientConfig, type ConverseCommandInput,
} from '@aws-sdk/client-bedrock-runtime'
import {
  circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleAll, retry, wrap,
} from 'cockatiel'
import { FAKE_CREDENTIALS } from '../../tools/fake-bedrock/bedrock-client.js'
import { seededRandom } from '../../tools/fake-bedrock/fake-bedrock.js'
import { PRIMARY_MODEL, PRIMARY_REGION, SMALL_MODEL } from './scenarios.js'
import type { ChaosInstance, StrategyEnv } from './types.js'

interface HttpEvent { readonly body: string }
interface Turn { readonly role: 'user' | 'assistant'; readonly content: string }

/** The instruction a caller wanting JSON adds to the system prompt. */
export const JSON_INSTRUCTION = 'Reply with JSON only: {"answer": "<your answer>"}.'

/**
 * One Converse call with the request's history; the reply shaped like the sample handler's (`{ reply, model, region,
 * degraded }`). With `json`, the reply is JSON.parse'd and its `answer` returned: a SyntaxError escapes like any error.
 */
async function converse(client: BedrockRuntimeClient, model: string, region: string, event: HttpEvent, degraded: boolean, json = false) {
  const { prompt, history = [] } = JSON.parse(event.body) as { prompt: string; history?: Turn[] }
  const input: ConverseCommandInput = {
    modelId: model,
    messages: [...history, { role: 'user' as const, content: prompt }].map((t) => ({ role: t.role, content: [{ text: t.content }] })),
    inferenceConfig: { maxTokens: 1024 },
  }
  if (json) input.system = [{ text: JSON_INSTRUCTION }]
  const out = await client.send(new ConverseCommand(input))
  const text = out.output?.message?.content?.[0]?.text ?? ''
  const reply = json ? (JSON.parse(text) as { answer: string }).answer : text
  return { statusCode: 200, body: JSON.stringify({ reply, model, region, degraded: degraded ? 'fallback-target' : false }) }
}

/** The fake Bedrock this strategy's fleet talks to. */
export const bedrockConfig = (env: StrategyEnv): BedrockRuntimeClientConfig =>
  ({ endpoint: env.bedrockEndpoint, credentials: FAKE_CREDENTIALS })

/** 1. naive: the SDK's defaults (standard retry mode, 3 attempts), one model, one region. */
export function naive(env: StrategyEnv): ChaosInstance {
  const client = new BedrockRuntimeClient({ ...bedrockConfig(env), region: PRIMARY_REGION })
  return {
    handle: (event) => converse(client, PRIMARY_MODEL, PRIMARY_REGION, event as HttpEvent, false, env.workload.json),
    close: () => client.destroy(),
  }
}

/** Throttling, 5xx, timeouts and network errors (and, for a JSON caller, a reply that did not parse): what a careful user retries. */
function retryable(error: unknown): boolean {
  const e = error as { $metadata?: { httpStatusCode?: number }; name?: string }
  const status = e.$metadata?.httpStatusCode
  return status === undefined || status === 408 || status === 429 || status >= 500
}

/** 2. textbook: up to 5 attempts with full-jitter exponential backoff (base 250 ms, cap 8 s), then one fallback model. */
export function textbook(env: StrategyEnv, id: number): ChaosInstance {
  const client = new BedrockRuntimeClient({ ...bedrockConfig(env), region: PRIMARY_REGION, maxAttempts: 1 })
  const random = seededRandom(1000 + id)
  const json = env.workload.json ?? false
  const handle = async (event: unknown) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        return await converse(client, PRIMARY_MODEL, PRIMARY_REGION, event as HttpEvent, false, json)
      } catch (error) {
        if (!retryable(error) || attempt === 4) break
        const waitMs = random() * Math.min(8_000, 250 * 2 ** attempt)
        await new Promise((resolve) => setTimeout(resolve, waitMs))
      }
    }
    return converse(client, SMALL_MODEL, PRIMARY_REGION, event as HttpEvent, true, json)
  }
  return { handle, close: () => client.destroy() }
}

/**
 * 3. cockatiel: an in-instance breaker (5 consecutive failures, half-open after `halfOpenAfterMs`) inside cockatiel's
 * retry (3 retries, exponential backoff), then the fallback model. Each instance has its own breaker.
 */
export function cockatiel(env: StrategyEnv, id: number): ChaosInstance {
  const client = new BedrockRuntimeClient({ ...bedrockConfig(env), region: PRIMARY_REGION, maxAttempts: 1 })
  const breaker = circuitBreaker(handleAll, { halfOpenAfter: env.halfOpenAfterMs, breaker: new ConsecutiveBreaker(5) })
  const policy = wrap(retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }), breaker)
  const key = `${PRIMARY_MODEL}@${PRIMARY_REGION}`
  const json = env.workload.json ?? false
  breaker.onBreak(() => env.onBreaker({ key, to: 'open', instance: id }))
  breaker.onHalfOpen(() => env.onBreaker({ key, to: 'half-open', instance: id }))
  breaker.onReset(() => env.onBreaker({ key, to: 'closed', instance: id }))
  const handle = async (event: unknown) => {
    try {
      return await policy.execute(() => converse(client, PRIMARY_MODEL, PRIMARY_REGION, event as HttpEvent, false, json))
    } catch {
      return converse(client, SMALL_MODEL, PRIMARY_REGION, event as HttpEvent, true, json)
    }
  }
  return { handle, close: () => { client.destroy() } }
}
