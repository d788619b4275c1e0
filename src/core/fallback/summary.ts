/**
 * The summarizer's texts (`fallback({ summarize })`), pure: the turns a shortening dropped, the request that asks a
 * cheap model to condense them, and the system note that carries the summary into the shortened request. The call
 * itself: invoker/summarizer.ts. Nothing here is logged: the turns and the summary are the user's and the model's.
 */
import { extractText, type ConverseOutputLike } from '../output/text.js'
import type { ConverseLike, MessageLike } from './messages.js'

/** A Converse request with its system blocks, as the summarizer reads and writes it. */
export type Summarizable = ConverseLike & { readonly system?: readonly object[] }

/** The system note blocks withSummary added, so a later summary replaces its note (and folds it in) instead of piling up. */
const notes = new WeakMap<object, string>()

const NOTE_PREFIX = 'Summary of the earlier part of this conversation (older turns were condensed to fit the context window): '

const INSTRUCTION = 'You condense conversations. Summarize the conversation below for the assistant that will continue it: '
  + 'keep facts, names, numbers, decisions, the user\'s goals and open questions; drop pleasantries. '
  + 'Write plain prose in the third person, no preamble. Reply with the summary only.'

/** The summary the note in `input`'s system carries, if an earlier shortening added one. */
export function noteOf(input: Summarizable): string | undefined {
  for (const block of input.system ?? []) {
    const text = notes.get(block)
    if (text !== undefined) return text
  }
  return undefined
}

/**
 * The messages of `before` that `after` no longer has. A shortening keeps the newest messages (a suffix, see
 * keepNewestMessages), so they are the ones before it; none when `after` is not a suffix of `before`.
 */
export function droppedTurns(before: Summarizable, after: Summarizable): readonly MessageLike[] {
  const all = before.messages ?? []
  const kept = after.messages ?? []
  const cut = all.length - kept.length
  if (cut <= 0 || kept.some((m, i) => m !== all[cut + i])) return []
  return all.slice(0, cut)
}

/** One content block as transcript text: text as it is, anything else by its kind (an image is no summary material). */
function blockText(block: object): string {
  const b = block as Record<string, unknown>
  if (typeof b.text === 'string') return b.text
  if (typeof b.toolUse === 'object' && b.toolUse !== null) return `[called tool ${String((b.toolUse as { name?: unknown }).name ?? '')}]`
  if (typeof b.toolResult === 'object' && b.toolResult !== null) {
    const content = (b.toolResult as { content?: unknown }).content
    const texts = Array.isArray(content) ? content.map((c) => (typeof c === 'object' && c !== null ? blockText(c) : '')) : []
    return `[tool result] ${texts.join(' ')}`.trim()
  }
  const kind = Object.keys(b)[0]
  return kind === undefined ? '' : `[${kind}]`
}

const lineOf = (m: MessageLike): string =>
  `${m.role === 'assistant' ? 'Assistant' : 'User'}: ${(m.content ?? []).map(blockText).filter((t) => t !== '').join(' ')}`

/**
 * The transcript to condense: the earlier summary (when there is one) and the dropped turns, at most `maxChars`
 * long. When the turns do not all fit, the newest are kept: they lead into the conversation that is kept.
 */
export function transcript(dropped: readonly MessageLike[], earlier: string | undefined, maxChars: number): string {
  const head = earlier === undefined ? '' : `Earlier summary: ${earlier}\n`
  const lines: string[] = []
  let room = maxChars - head.length
  for (let i = dropped.length - 1; i >= 0 && room > 0; i--) {
    const line = lineOf(dropped[i] as MessageLike)
    lines.push(line.length <= room ? line : `${line.slice(0, room)}…`)
    room -= line.length + 1
  }
  const omitted = lines.length < dropped.length ? '[earlier turns omitted]\n' : ''
  return `${head}${omitted}${lines.reverse().join('\n')}`
}

/** The Converse request that asks the summarizer for the summary. */
export function summaryRequest(text: string, maxTokens: number): Summarizable {
  return {
    system: [{ text: INSTRUCTION }],
    messages: [{ role: 'user', content: [{ text: `<conversation>\n${text}\n</conversation>` }] }],
    inferenceConfig: { maxTokens },
  }
}

/** The summary a Converse reply holds (its text, trimmed), or undefined when it holds none. */
export function summaryOf(output: unknown): string | undefined {
  const text = typeof output === 'object' && output !== null ? extractText(output as ConverseOutputLike).trim() : ''
  return text === '' ? undefined : text
}

/** `input` with `summary` as its system note, in place of an earlier note; the other system blocks are kept in order. */
export function withSummary<I extends Summarizable>(input: I, summary: string): I {
  const note = { text: `${NOTE_PREFIX}${summary}` }
  notes.set(note, summary)
  return { ...input, system: [...(input.system ?? []).filter((b) => !notes.has(b)), note] }
}
