/**
 * What a call costs a target's quota, as Bedrock counts it: one request, and at admission its input tokens plus the
 * output tokens it may produce (`maxTokens`, capped by the target's own `maxTokens`); at the end, the tokens it
 * used (input + output, from the reply's `usage`), the rest refunded.
 */
import { estimateInputTokens, CHARS_PER_TOKEN, type RoutableInput } from '../routing/predicates.js'
import type { Target } from '../target.js'
import type { Amount } from './quota.js'

/**
 * The output tokens reserved for a call that sets no `maxTokens`: Bedrock reserves the model's own default, which
 * Breakwater does not know per model; 4 096 is Claude 3's and Nova's. Set `maxTokens` to pay for what you ask.
 */
export const DEFAULT_RESERVED_OUTPUT = 4_096

interface Shaped {
  readonly messages?: unknown
  readonly system?: unknown
  readonly inferenceConfig?: { readonly maxTokens?: unknown }
  /** Anthropic's InvokeModel body. */
  readonly max_tokens?: unknown
}

const count = (n: unknown): number | undefined => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined)

/** The charge for sending `input` to `target`: a Converse request estimated by its text, an InvokeModel body by its size. */
export function quotaCost(input: unknown, target: Target): Amount {
  const shaped = (typeof input === 'object' && input !== null ? input : {}) as Shaped & { readonly body?: unknown }
  if (Array.isArray(shaped.messages) || Array.isArray(shaped.system)) {
    const asked = count(shaped.inferenceConfig?.maxTokens) ?? DEFAULT_RESERVED_OUTPUT
    return { requests: 1, tokens: estimateInputTokens(shaped as RoutableInput) + Math.min(asked, target.maxTokens ?? Infinity) }
  }
  const text = typeof shaped.body === 'string' ? shaped.body
    : shaped.body instanceof Uint8Array ? new TextDecoder().decode(shaped.body) : ''
  return { requests: 1, tokens: Math.ceil(text.length / CHARS_PER_TOKEN) + (count(rawMaxTokens(text)) ?? DEFAULT_RESERVED_OUTPUT) }
}

/** `max_tokens` (Anthropic) or `maxTokens` (Nova's `inferenceConfig`) of a raw body, if it says. */
function rawMaxTokens(text: string): unknown {
  try {
    const body = JSON.parse(text) as Shaped | null
    return body?.max_tokens ?? body?.inferenceConfig?.maxTokens
  } catch {
    return undefined
  }
}

interface Usage {
  readonly inputTokens?: unknown
  readonly outputTokens?: unknown
  readonly input_tokens?: unknown
  readonly output_tokens?: unknown
  readonly prompt_tokens?: unknown
  readonly completion_tokens?: unknown
}

/** Input plus output tokens, when both are counts. */
const both = (input: unknown, output: unknown): number | undefined => {
  const i = count(input)
  const o = count(output)
  return i === undefined || o === undefined ? undefined : i + o
}

/** A `usage` object in any of its spellings: Converse and Nova, Anthropic, OpenAI-style chat. */
const usageTokens = (usage: Usage): number | undefined =>
  both(usage.inputTokens, usage.outputTokens) ?? both(usage.input_tokens, usage.output_tokens)
    ?? both(usage.prompt_tokens, usage.completion_tokens)

/** Replies whose body (read by the call that got it) said what they used: InvokeModel's (see bodyUsage). */
const MARKED = new WeakMap<object, number>()

/** Marks a reply with the tokens its body says it used (the call adapter knows its body). */
export function markUsage(output: object, tokensUsed: number): void {
  MARKED.set(output, tokensUsed)
}

/** The tokens a reply says it used (Converse `usage`, a body marked by markUsage); undefined if it says not. */
export function quotaSpent(output: unknown): number | undefined {
  if (typeof output !== 'object' || output === null) return undefined
  const marked = MARKED.get(output)
  if (marked !== undefined) return marked
  const usage = (output as { usage?: unknown }).usage
  return typeof usage === 'object' && usage !== null ? usageTokens(usage as Usage) : undefined
}

type Body = Record<string, unknown>
const objectAt = (body: Body | undefined, key: string): Body | undefined => {
  const v = body?.[key]
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Body) : undefined
}

/**
 * The tokens a parsed InvokeModel body says it used, in its model family's words: a `usage` object (Anthropic,
 * Nova, OpenAI-style chat); Titan `inputTextTokenCount` and `results[].tokenCount`; Llama `prompt_token_count` and
 * `generation_token_count`; Cohere Command R `meta.billed_units`. Undefined when it does not say (Mistral's).
 */
export function bodyUsage(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  const b = body as Body
  const usage = objectAt(b, 'usage')
  if (usage !== undefined) return usageTokens(usage)
  if (Array.isArray(b.results)) {
    const outputs = b.results.map((r) => count((r as Body | null)?.tokenCount))
    return outputs.some((n) => n === undefined) ? undefined : both(b.inputTextTokenCount, (outputs as number[]).reduce((a, n) => a + n, 0))
  }
  if ('generation_token_count' in b) return both(b.prompt_token_count, b.generation_token_count)
  const billed = objectAt(objectAt(b, 'meta'), 'billed_units')
  return billed === undefined ? undefined : both(billed.input_tokens, billed.output_tokens)
}
