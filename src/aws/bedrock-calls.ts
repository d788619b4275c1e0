/**
 * The two calls the invoker makes: one attempt, to one target, with the attempt's abort signal. The target decides
 * the model and region and may make the request cheaper (`maxTokens`, `maxMessages`); everything else is the caller's.
 */
import {
  ConverseCommand, InvokeModelCommand,
  type ConverseCommandInput, type ConverseCommandOutput, type InvokeModelCommandInput, type InvokeModelCommandOutput,
} from '@aws-sdk/client-bedrock-runtime'
import { capMaxTokens, keepNewestMessages } from '../core/fallback/messages.js'
import type { CallFn } from '../core/invoker/types.js'
import type { Target } from '../core/targets.js'
import type { BedrockClientPool } from './bedrock-clients.js'

/** The Converse API input without `modelId`: the route's targets supply it. */
export type ConverseInput = Omit<ConverseCommandInput, 'modelId'>
/** The InvokeModel input without `modelId`. The body must suit every target of the route (one model family). */
export type InvokeModelInput = Omit<InvokeModelCommandInput, 'modelId'>

/** Sends `ConverseCommand` to the target's region and model, with the target's limits applied. */
export function converseCall(pool: BedrockClientPool): CallFn<ConverseInput, ConverseCommandOutput> {
  return async (target, input, signal) => {
    const client = await pool.getChecked(target.region)
    const command = new ConverseCommand({ ...applyTargetLimits(input, target), modelId: target.model })
    return client.send(command, { abortSignal: signal })
  }
}

/**
 * Sends `InvokeModelCommand` to the target's region and model. The body is model-specific and opaque here, so
 * `maxTokens` / `maxMessages` are not applied: cheaper InvokeModel steps need a body written for them.
 */
export function invokeModelCall(pool: BedrockClientPool): CallFn<InvokeModelInput, InvokeModelCommandOutput> {
  return async (target, input, signal) => {
    const client = await pool.getChecked(target.region)
    return client.send(new InvokeModelCommand({ ...input, modelId: target.model }), { abortSignal: signal })
  }
}

/**
 * The input as this target should receive it: `inferenceConfig.maxTokens` capped at `target.maxTokens` (set when
 * absent), and the history cut to the newest `target.maxMessages` messages, starting at a user message that is not
 * a tool result (Bedrock rejects a conversation opening with the assistant or with an orphaned tool result).
 * When the newest N hold no such start, the history is left whole: a longer request may still be served, an
 * invalid one never is. Returns the same object when nothing changes; never mutates the input.
 */
export function applyTargetLimits<I extends ConverseInput>(input: I, target: Target): I {
  let out = input
  if (target.maxTokens !== undefined) out = capMaxTokens(out, target.maxTokens)
  const messages = out.messages
  if (target.maxMessages !== undefined && messages !== undefined && messages.length > target.maxMessages) {
    const kept = keepNewestMessages(messages, target.maxMessages)
    if (kept.length > 0) out = { ...out, messages: kept }
  }
  return out
}

/** The reply's text: every text block of the output message, in order, joined without separators. */
export function extractText(output: ConverseCommandOutput): string {
  const content = output.output?.message?.content ?? []
  let text = ''
  for (const block of content) if (typeof block.text === 'string') text += block.text
  return text
}
