/**
 * The one call each baseline makes, plain or streamed, and the two targets it knows: the primary, and the fallback
 * its try/catch goes to. Plain: Converse, falling back to the smaller model in the same region (as before streams).
 * Streamed: ConverseStream consumed the way a typical user does — text deltas appended until the SDK's iterator ends,
 * no check for `messageStop` (a cut or aborted stream ends that iterator quietly) — falling back to the next region.
 */
import {
  BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, type BedrockRuntimeClientConfig, type ConverseCommandInput,
} from '@aws-sdk/client-bedrock-runtime'
import { SYSTEM_PROMPT } from '../../examples/chat/chat-request.js'
import { FAKE_CREDENTIALS } from '../../tools/fake-bedrock/bedrock-client.js'
import { PRIMARY_MODEL, PRIMARY_REGION, SECONDARY_REGION, SMALL_MODEL } from './scenarios.js'
import { streamedOk } from './stream-reply.js'
import type { StrategyEnv } from './types.js'

export interface HttpEvent { readonly body: string }
interface Turn { readonly role: 'user' | 'assistant'; readonly content: string }

/** The instruction a caller wanting JSON adds to the system prompt. */
export const JSON_INSTRUCTION = 'Reply with JSON only: {"answer": "<your answer>"}.'

/** The fake Bedrock this strategy's fleet talks to. */
export const bedrockConfig = (env: StrategyEnv): BedrockRuntimeClientConfig =>
  ({ endpoint: env.bedrockEndpoint, credentials: FAKE_CREDENTIALS })

/**
 * The request a baseline sends: the history and the prompt, with the sample handler's system prompt (a JSON caller's
 * instruction instead; none when streamed, like Breakwater's stream handler), so every strategy's calls cost the same
 * tokens against a quota.
 */
function inputOf(model: string, event: HttpEvent, json: boolean, streamed = false): ConverseCommandInput {
  const { prompt, history = [] } = JSON.parse(event.body) as { prompt: string; history?: Turn[] }
  const input: ConverseCommandInput = {
    modelId: model,
    messages: [...history, { role: 'user' as const, content: prompt }].map((t) => ({ role: t.role, content: [{ text: t.content }] })),
    inferenceConfig: { maxTokens: 1024 },
  }
  if (json) input.system = [{ text: JSON_INSTRUCTION }]
  else if (!streamed) input.system = [{ text: SYSTEM_PROMPT }]
  return input
}

/**
 * One Converse call with the request's history; the reply shaped like the sample handler's (`{ reply, model, region,
 * degraded }`). With `json`, the reply is JSON.parse'd and its `answer` returned: a SyntaxError escapes like any error.
 */
async function converse(client: BedrockRuntimeClient, model: string, region: string, event: HttpEvent, degraded: boolean, json: boolean) {
  const out = await client.send(new ConverseCommand(inputOf(model, event, json)))
  const text = out.output?.message?.content?.[0]?.text ?? ''
  const reply = json ? (JSON.parse(text) as { answer: string }).answer : text
  return { statusCode: 200, body: JSON.stringify({ reply, model, region, degraded: degraded ? 'fallback-target' : false }) }
}

/** One ConverseStream call read to the iterator's end; `began`: the invocation's start, for the time to first token. */
async function converseStreamed(client: BedrockRuntimeClient, model: string, region: string, event: HttpEvent, degraded: boolean,
  began: number) {
  const out = await client.send(new ConverseStreamCommand(inputOf(model, event, false, true)))
  let reply = ''
  let ttftMs: number | undefined
  for await (const e of out.stream ?? []) {
    const text = e.contentBlockDelta?.delta?.text
    if (text === undefined) continue
    ttftMs ??= Date.now() - began
    reply += text
  }
  return streamedOk({ reply, model, region, degraded: degraded ? 'fallback-target' : false, ttftMs })
}

export type Call = (event: HttpEvent, began: number) => Promise<unknown>

/** A baseline's calls: `primary`, the `fallback` its try/catch goes to, and the clients to close. */
export interface BaselineCalls { readonly primary: Call; readonly fallback: Call; close(): void }

/** The SDK's own retry settings a baseline sets (left out: its defaults, standard mode, 3 attempts). */
export type SdkRetry = Pick<BedrockRuntimeClientConfig, 'maxAttempts' | 'retryMode'>

/** One client per region, as a Lambda container builds them at init, with the baseline's `sdk` retry settings. */
export function baselineCalls(env: StrategyEnv, sdk: SdkRetry = {}): BaselineCalls {
  const clientIn = (region: string): BedrockRuntimeClient => new BedrockRuntimeClient({ ...bedrockConfig(env), ...sdk, region })
  const primaryClient = clientIn(PRIMARY_REGION)
  if (!env.workload.stream) {
    const json = env.workload.json ?? false
    return {
      primary: (event) => converse(primaryClient, PRIMARY_MODEL, PRIMARY_REGION, event, false, json),
      fallback: (event) => converse(primaryClient, SMALL_MODEL, PRIMARY_REGION, event, true, json),
      close: () => primaryClient.destroy(),
    }
  }
  const secondaryClient = clientIn(SECONDARY_REGION)
  return {
    primary: (event, began) => converseStreamed(primaryClient, PRIMARY_MODEL, PRIMARY_REGION, event, false, began),
    fallback: (event, began) => converseStreamed(secondaryClient, PRIMARY_MODEL, SECONDARY_REGION, event, true, began),
    close: () => { primaryClient.destroy(); secondaryClient.destroy() },
  }
}
