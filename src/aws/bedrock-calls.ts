/**
 * The two calls the invoker makes: one attempt, to one target, with the attempt's abort signal. The target decides
 * the model and region and may make the request cheaper (`maxTokens`, `maxMessages`); everything else is the caller's.
 */
import {
  ConverseCommand, InvokeModelCommand, type BedrockRuntimeClient,
  type ConverseCommandInput, type ConverseCommandOutput, type InvokeModelCommandInput, type InvokeModelCommandOutput,
} from '@aws-sdk/client-bedrock-runtime'
import { BrokenResponseError, MalformedOutputError } from '../core/errors.js'
import { capMaxTokens, keepNewestMessages } from '../core/fallback/messages.js'
import { interventionOf, markIntervention, stopFailure } from '../core/stop-reason.js'
import { invokeStopReason } from '../core/invoke-stop-reason.js'
import { bodyUsage, markUsage } from '../core/admission/quota-cost.js'
import type { CallFn } from '../core/invoker/types.js'
import type { Target } from '../core/targets.js'
import type { BedrockClientPool } from './bedrock-clients.js'

/** The Converse API input without `modelId`: the route's targets supply it. */
export type ConverseInput = Omit<ConverseCommandInput, 'modelId'>
/** The InvokeModel input without `modelId`. The body must suit every target of the route (one model family). */
export type InvokeModelInput = Omit<InvokeModelCommandInput, 'modelId'>

/**
 * Sends `ConverseCommand` to the target's region and model, with the target's limits applied. A 200 is not a
 * success by itself: an unreadable body is a BrokenResponseError (unavailable), a reply without content a
 * MalformedOutputError.
 */
export function converseCall(pool: BedrockClientPool): CallFn<ConverseInput, ConverseCommandOutput> {
  // Not an async function: a checked client sends at once, with no await of our own (one promise less per call).
  const send = (
    client: BedrockRuntimeClient, target: Target, input: ConverseInput, signal: AbortSignal,
  ): Promise<ConverseCommandOutput> => {
    const command = new ConverseCommand({ ...applyTargetLimits(input, target), modelId: target.model })
    return client.send(command, { abortSignal: signal }).then(checkConverseOutput, brokenResponse)
  }
  return (target, input, signal) => {
    const client = pool.verifiedClient(target.region)
    if (client !== undefined) return send(client, target, input, signal)
    return pool.getChecked(target.region).then((c) => send(c, target, input, signal))
  }
}

/**
 * Sends `InvokeModelCommand` to the target's region and model. The body is model-specific and opaque here, so
 * `maxTokens` / `maxMessages` are not applied: cheaper InvokeModel steps need a body written for them.
 */
export function invokeModelCall(pool: BedrockClientPool): CallFn<InvokeModelInput, InvokeModelCommandOutput> {
  return async (target, input, signal) => {
    const client = pool.verifiedClient(target.region) ?? await pool.getChecked(target.region)
    const command = new InvokeModelCommand(invokeModelInput(input, target))
    const output = await client.send(command, { abortSignal: signal }).catch(brokenResponse)
    return checkInvokeModelOutput(output)
  }
}

/** The InvokeModel request for `target`: its model, and its service tier and latency mode as InvokeModel's headers. */
export function invokeModelInput(input: InvokeModelInput, target: Target): InvokeModelCommandInput {
  const command: InvokeModelCommandInput = { ...input, modelId: target.model }
  if (target.serviceTier !== undefined) command.serviceTier = target.serviceTier
  if (target.latency !== undefined) command.performanceConfigLatency = target.latency
  return command
}

/**
 * The SDK could not deserialise a 2xx (its SyntaxError carries `$metadata.httpStatusCode`): the service broke its
 * reply, which is an upstream failure like a 503, not a bug of the caller's. Anything else is rethrown as it is.
 */
export function brokenResponse(error: unknown): never {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode
  if (error instanceof Error && typeof status === 'number' && status >= 200 && status < 300) {
    throw new BrokenResponseError(
      `Bedrock answered ${status} with a body that could not be read (${error.name})`,
      { statusCode: status, cause: error },
    )
  }
  throw error
}

/**
 * A Converse reply that is well-formed: a message whose content holds a non-empty text, a tool call or another
 * content block that is not text. `{}`, no message, no content or only empty text is malformed output: never served,
 * never a breaker success, never cached.
 */
export function checkConverseOutput(output: ConverseCommandOutput): ConverseCommandOutput {
  const content: unknown = output.output?.message?.content
  // Not re-asked with format instructions (nothing was wrong with a format): the next target is asked instead.
  if (!Array.isArray(content) || content.length === 0) {
    throw new MalformedOutputError('the reply has no message content', '', undefined, { reaskable: false })
  }
  const answers = content.some((block: unknown) => {
    if (typeof block !== 'object' || block === null) return false
    const b = block as { text?: unknown }
    return typeof b.text === 'string' ? b.text.trim() !== '' : Object.keys(b).some((k) => k !== 'text' && k !== 'reasoningContent')
  })
  if (!answers) throw new MalformedOutputError('the reply has no text and no tool use', '', undefined, { reaskable: false })
  return output
}

/**
 * An InvokeModel body is the model's own format, so only what no model sends is refused: an empty body (malformed
 * output), and, for a JSON content type, one that does not parse (a broken reply: unavailable, as for Converse).
 * A JSON body that says how it stopped, in its model family's words (see `invokeStopReason`), is judged like a
 * Converse reply's stop reason: a failure is thrown, an intervention marked for the cascade.
 */
export function checkInvokeModelOutput(output: InvokeModelCommandOutput): InvokeModelCommandOutput {
  const body = output.body as Uint8Array | null | undefined
  if (body === undefined || body === null || body.byteLength === 0) {
    throw new MalformedOutputError('the reply body is empty', '', undefined, { reaskable: false })
  }
  if (!JSON_TYPE.test(output.contentType ?? '')) return output
  const read = readJson(body)
  if (!read.whole) throw new BrokenResponseError('Bedrock answered 200 with a JSON body that does not parse', { statusCode: 200 })
  const stopReason = invokeStopReason(read.value)
  const failure = stopFailure(stopReason, false)
  if (failure !== undefined) throw failure
  const intervened = interventionOf(stopReason)
  if (intervened !== undefined) markIntervention(output, intervened)
  // What it used, for a declared quota's refund (the body is read once, here).
  const used = bodyUsage(read.value)
  if (used !== undefined) markUsage(output, used)
  return output
}

/** `application/json` or `application/<x>+json`; not `x-ndjson` or `json-seq`, which are not one JSON value. */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i
/** Bodies up to this are parsed; larger ones (images, embeddings) only checked at both ends, so no second full parse. */
const PARSE_LIMIT_BYTES = 256 * 1024

/**
 * A JSON body that parses (and its value), or (when large) opens and closes as one object or array, unparsed: a cut
 * body does not.
 */
function readJson(body: Uint8Array): { readonly whole: boolean; readonly value?: unknown } {
  if (body.byteLength <= PARSE_LIMIT_BYTES) {
    try {
      return { whole: true, value: JSON.parse(new TextDecoder().decode(body)) }
    } catch {
      return { whole: false }
    }
  }
  const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
  let first = 0
  while (first < body.byteLength && isSpace(body[first] as number)) first++
  let last = body.byteLength - 1
  while (last > first && isSpace(body[last] as number)) last--
  const open = body[first]
  const close = body[last]
  return { whole: (open === 0x7b && close === 0x7d) || (open === 0x5b && close === 0x5d) }
}

/**
 * The input as this target should receive it: `inferenceConfig.maxTokens` capped at `target.maxTokens` (set when
 * absent), and the history cut to the newest `target.maxMessages` messages, starting at a user message that is not
 * a tool result (Bedrock rejects a conversation opening with the assistant or with an orphaned tool result).
 * When the newest N hold no such start, the history is left whole: a longer request may still be served, an
 * invalid one never is. The target's `serviceTier` and `latency` replace the input's own. Returns the same object
 * when nothing changes; never mutates the input.
 */
export function applyTargetLimits<I extends ConverseInput>(input: I, target: Target): I {
  let out = input
  if (target.serviceTier !== undefined || target.latency !== undefined) out = withTargetTier(out, target)
  if (target.maxTokens !== undefined) out = capMaxTokens(out, target.maxTokens)
  const messages = out.messages
  if (target.maxMessages !== undefined && messages !== undefined && messages.length > target.maxMessages) {
    const kept = keepNewestMessages(messages, target.maxMessages)
    if (kept.length > 0) out = { ...out, messages: kept }
  }
  return out
}

/** A copy of `input` asking for the target's service tier and latency mode (Converse's `serviceTier`, `performanceConfig`). */
function withTargetTier<I extends ConverseInput>(input: I, target: Target): I {
  const out: I = { ...input }
  if (target.serviceTier !== undefined) out.serviceTier = { type: target.serviceTier }
  if (target.latency !== undefined) out.performanceConfig = { latency: target.latency }
  return out
}

/** The reply's text: every text block of the output message, in order, joined without separators. */
export function extractText(output: ConverseCommandOutput): string {
  const content = output.output?.message?.content ?? []
  let text = ''
  for (const block of content) if (typeof block.text === 'string') text += block.text
  return text
}
