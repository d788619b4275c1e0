/**
 * The JSON value in a model's reply text. Models asked for JSON often wrap it in a Markdown code fence, so one
 * fenced block (```json … ``` or ``` … ```) is accepted when it is the whole reply; surrounding whitespace is
 * ignored. Prose before or after the JSON (or the fence) is not: that is the malformed output we re-ask about.
 */

export type JsonText =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: string }

/** The whole (trimmed) text is one fence: an optional `json` tag, the body, the closing fence at the very end. */
const FENCED = /^```(?:json(?=\s))?([\s\S]*?)```$/i

export function parseJsonText(text: string): JsonText {
  const trimmed = text.trim()
  if (trimmed === '') return { ok: false, reason: 'the reply is empty, not JSON' }
  const fenced = FENCED.exec(trimmed)
  const body = fenced ? (fenced[1] ?? '').trim() : trimmed
  try {
    return { ok: true, value: JSON.parse(body) as unknown }
  } catch {
    const reason = fenced ? 'the fenced block of the reply is not valid JSON' : 'the reply is not valid JSON (only a JSON value, no prose)'
    return { ok: false, reason }
  }
}
