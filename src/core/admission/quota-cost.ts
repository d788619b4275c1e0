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
}

/** Replies whose body (read by the call that got it) said what they used: InvokeModel's (invoke-usage.ts). */
const MARKED = new WeakMap<object, number>()

/** Marks a reply with the tokens its body says it used (the call adapter knows its body). */
export function markUsage(output: object, tokensUsed: number): void {
  MARKED.set(output, tokensUsed)
}

/** The tokens a reply says it used (Converse `usage`, a body marked by markUsage); undefined if it says not. */
export function quotaSpent(output: unknown): number | undefined {
  const marked = typeof output === 'object' && output !== null ? MARKED.get(output) : undefined
  if (marked !== undefined) return marked
  const usage = (typeof output === 'object' && output !== null ? (output as { usage?: Usage }).usage : undefined) ?? {}
  const inputTokens = count(usage.inputTokens) ?? count(usage.input_tokens)
  const outputTokens = count(usage.outputTokens) ?? count(usage.output_tokens)
  return inputTokens === undefined || outputTokens === undefined ? undefined : inputTokens + outputTokens
}
