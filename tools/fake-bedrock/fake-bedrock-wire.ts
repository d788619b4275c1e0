/**
 * The Bedrock Runtime wire format as the fake server needs it: routes, the region hidden in the SigV4 credential
 * scope, what a request body says, and the bodies of successful replies.
 */
import type { Operation } from './fake-bedrock-faults.js'

export interface Route {
  readonly operation: Operation
  /** The model id, URL-decoded (the SDK sends `:` as `%3A`). */
  readonly model: string
}

const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/

/** `POST /model/{modelId}/converse`, `/converse-stream` or `/invoke`; anything else is not ours. */
export function parseRoute(method: string | undefined, path: string | undefined): Route | undefined {
  if (method !== 'POST' || path === undefined) return undefined
  const m = ROUTE.exec(path.split('?')[0] ?? '')
  if (!m?.[1] || !m[2]) return undefined
  return { model: decodeURIComponent(m[1]), operation: m[2] as Operation }
}

const SCOPE = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/bedrock\/aws4_request/

/**
 * The region the client signed for. The endpoint is the same for every region here, so the SigV4 scope is the one
 * place the region of a call can be read — which is what lets one server fail one region and serve another.
 */
export function regionOf(authorization: string | undefined): string {
  return SCOPE.exec(authorization ?? '')?.[1] ?? 'unsigned'
}

interface Message {
  readonly role?: unknown
  readonly content?: unknown
}

/** Messages of a Converse body or of an Anthropic-messages-shaped InvokeModel body. */
export function messagesOf(body: unknown): Message[] {
  const messages = (body as { messages?: unknown } | null)?.messages
  return Array.isArray(messages) ? (messages as Message[]) : []
}

/** The text of a message: Converse `[{ text }]`, Anthropic `[{ type: 'text', text }]` or a plain string. */
export function textOf(message: Message | undefined): string {
  const content = message?.content
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((b: { text?: unknown }) => (typeof b?.text === 'string' ? b.text : '')).join('')
}

/** How long a request is, for `whenLongerThan`: messages, and characters of text (or of the raw body). */
export function sizeOf(body: unknown, raw: string): { messages: number; chars: number } {
  const messages = messagesOf(body)
  if (messages.length === 0) return { messages: 0, chars: raw.length }
  const system = (body as { system?: unknown }).system
  const systemChars = typeof system === 'string' ? system.length : textOf({ content: system }).length
  return { messages: messages.length, chars: messages.reduce((n, m) => n + textOf(m).length, systemChars) }
}

/** Role of the last message; `assistant` means the caller sent a prefill for the model to continue. */
export function lastRoleOf(body: unknown): string | undefined {
  const role = messagesOf(body).at(-1)?.role
  return typeof role === 'string' ? role : undefined
}

/** The newest user text: what the default reply echoes. */
export function lastUserText(body: unknown): string {
  const users = messagesOf(body).filter((m) => m.role === 'user')
  if (users.length > 0) return textOf(users[users.length - 1])
  const b = body as { inputText?: unknown; prompt?: unknown; message?: unknown } | null
  if (typeof b?.inputText === 'string') return b.inputText // Titan
  if (typeof b?.message === 'string') return b.message // Cohere Command R
  return typeof b?.prompt === 'string' ? b.prompt : '' // Llama, Mistral, Cohere Command
}

/**
 * Checks the real service makes on every Converse request before a model sees it. They matter here because history
 * trimming must never send a conversation that starts with the assistant or with an orphaned tool result.
 */
export function converseProblem(body: unknown): string | undefined {
  const messages = messagesOf(body)
  if (messages.length === 0) return 'The model returned the following errors: messages: field required'
  const first = messages[0]
  if (first?.role !== 'user') {
    return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.'
  }
  const content = Array.isArray(first.content) ? (first.content as { toolResult?: unknown }[]) : []
  if (content.some((b) => b?.toolResult !== undefined)) {
    return 'The number of toolResult blocks at messages.0.content exceeds the number of toolUse blocks of previous turn.'
  }
  return undefined
}

/**
 * Rough token count, ~4 characters a token: enough for `usage` to look plausible and grow with the input. The quota
 * charges calls by the same count, so what a reply reports as `usage` is what its admission cost.
 */
export const estimateTokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4))
const tokens = estimateTokens

/** Output tokens a call asks for when its body does not say: the quota reserves this many at admission. */
export const DEFAULT_MAX_TOKENS = 4096

/** The output tokens a call reserves: Converse `inferenceConfig.maxTokens`, Anthropic InvokeModel `max_tokens`. */
export function maxTokensOf(body: unknown): number {
  const b = body as { inferenceConfig?: { maxTokens?: unknown }; max_tokens?: unknown } | null
  const asked = typeof b === 'object' && b !== null ? (b.inferenceConfig?.maxTokens ?? b.max_tokens) : undefined
  return typeof asked === 'number' && Number.isFinite(asked) && asked >= 0 ? asked : DEFAULT_MAX_TOKENS
}

export function converseReply(text: string, inputChars: number, latencyMs: number, stopReason = 'end_turn'): unknown {
  const inputTokens = tokens(inputChars)
  const outputTokens = tokens(text.length)
  return {
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason,
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
    metrics: { latencyMs },
  }
}
