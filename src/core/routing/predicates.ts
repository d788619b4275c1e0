/**
 * Rule predicates: what a routing rule can ask of a request. Pure: they read the Lambda event, the context and,
 * once the handler calls `converse(input)`, the Converse input (typed structurally here; core imports no SDK).
 */

/** The parts of a Converse input the predicates read. */
export interface RoutableInput {
  readonly messages?: readonly { readonly content?: readonly Record<string, unknown>[] }[]
  readonly system?: readonly Record<string, unknown>[]
  readonly toolConfig?: unknown
}

/** What a predicate sees. `input` is absent when the route is chosen before the handler calls Bedrock. */
export interface RouteContext<E = unknown, C = unknown> {
  readonly event: E
  readonly context: C
  readonly input?: unknown
  /** The user tier (from the `tier` option, else the authorizer claim or header), if any. */
  readonly tier?: string
}

export interface Range { readonly min?: number; readonly max?: number }

/**
 * One condition of a rule. A rule whose predicates all hold picks its route.
 * @example { inputTokens: { max: 200 } }              // a short greeting
 * @example { has: 'images' }
 * @example { tier: ['gold', 'platinum'] }
 * @example { custom: ({ event }) => event.path === '/summarize' }
 */
export type Predicate =
  /** Estimated input tokens (messages + system) within [min, max], both inclusive. See `estimateInputTokens`. */
  | { readonly inputTokens: Range }
  /** Number of messages in the conversation within [min, max]. */
  | { readonly messages: Range }
  /** The input carries tools (`toolConfig`), image blocks or document blocks. */
  | { readonly has: 'tools' | 'images' | 'documents' }
  /** The user tier is one of these. */
  | { readonly tier: string | readonly string[] }
  /** Your own test; throwing counts as "does not match". */
  | { readonly custom: (ctx: RouteContext) => boolean }

export const PREDICATE_KINDS = ['inputTokens', 'messages', 'has', 'tier', 'custom'] as const
export type PredicateKind = (typeof PREDICATE_KINDS)[number]
/** Predicates that need the Converse input: they do not match while it is unknown. */
export const INPUT_KINDS: ReadonlySet<PredicateKind> = new Set(['inputTokens', 'messages', 'has'])

/** Characters per token of the estimate: ~4 for English text with the common BPE tokenizers. */
export const CHARS_PER_TOKEN = 4
/** What one image or document block counts for in the estimate (their real cost depends on size and model). */
export const TOKENS_PER_ATTACHMENT = 1_000

/**
 * Estimated input tokens: the characters of every text block (messages and system; tool use / results as their
 * JSON) divided by 4, rounded up, plus 1 000 per image or document. A router needs "short or long", not a bill:
 * this is within ~25 % for English prose, costs no tokenizer and no call.
 */
export function estimateInputTokens(input: RoutableInput): number {
  let chars = 0
  let attachments = 0
  const blocks = [...(input.system ?? []), ...(input.messages ?? []).flatMap((m) => m.content ?? [])]
  for (const block of blocks) {
    if (typeof block.text === 'string') chars += block.text.length
    else if ('image' in block || 'document' in block) attachments++
    else if ('toolUse' in block || 'toolResult' in block) chars += JSON.stringify(block).length
  }
  return Math.ceil(chars / CHARS_PER_TOKEN) + attachments * TOKENS_PER_ATTACHMENT
}

const inRange = (n: number, r: Range): boolean => (r.min === undefined || n >= r.min) && (r.max === undefined || n <= r.max)

const hasBlock = (input: RoutableInput, kind: 'image' | 'document'): boolean =>
  (input.messages ?? []).some((m) => (m.content ?? []).some((b) => kind in b))

/** Does `p` hold for this request? Input predicates without an input do not hold. */
export function holds(p: Predicate, ctx: RouteContext): boolean {
  const input = ctx.input as RoutableInput | undefined
  if ('inputTokens' in p) return input !== undefined && inRange(estimateInputTokens(input), p.inputTokens)
  if ('messages' in p) return input !== undefined && inRange(input.messages?.length ?? 0, p.messages)
  if ('has' in p) {
    if (input === undefined) return false
    if (p.has === 'tools') return input.toolConfig !== undefined && input.toolConfig !== null
    return hasBlock(input, p.has === 'images' ? 'image' : 'document')
  }
  if ('tier' in p) return ctx.tier !== undefined && (typeof p.tier === 'string' ? p.tier === ctx.tier : p.tier.includes(ctx.tier))
  try {
    return p.custom(ctx) === true
  } catch {
    return false
  }
}
