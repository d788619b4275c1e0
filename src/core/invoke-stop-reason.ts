/**
 * How an InvokeModel body says it stopped. Converse speaks one vocabulary (the SDK's `StopReason`); a raw body speaks
 * its model family's: Titan's `completionReason: 'LENGTH'`, Llama's `stop_reason: 'length'`, Cohere's
 * `finish_reason: 'ERROR_TOXIC'`. Each is translated into the Converse value that means the same, so that
 * stop-reason.ts judges every API by one table (docs/errors-and-observability.md#invokemodel-bodies lists them).
 * Pure: the body arrives parsed.
 */

/** Amazon Titan Text: `results[].completionReason`, and a stream chunk's own `completionReason`. */
const TITAN: Readonly<Record<string, string>> = {
  FINISH: 'end_turn',
  FINISHED: 'end_turn', // the spelling of some of AWS's pages
  LENGTH: 'max_tokens',
  STOP_CRITERIA_MET: 'stop_sequence',
  CONTENT_FILTERED: 'content_filtered',
  // RAG_QUERY_WHEN_RAG_DISABLED is left as it is: an answer (the model says it cannot search), nothing to retry.
}

/**
 * `stop_reason`: Anthropic's values are Converse's own (`end_turn`, `max_tokens`, `tool_use`...); Meta Llama's and
 * Mistral's are `stop` and `length` (Mistral's chat format adds `tool_calls`). Anthropic's `refusal` is its
 * safety classifiers replacing the answer: what Converse calls `content_filtered`.
 */
const STOP_REASON: Readonly<Record<string, string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'content_filtered', // `finish_reason` of an OpenAI-style chat completion
  refusal: 'content_filtered',
}

/**
 * Cohere Command and Command R: `finish_reason` (upper case on Bedrock). `ERROR_TOXIC`: the output was flagged, a
 * content filter; `ERROR_LIMIT`: the context window filled; `ERROR`: the generation failed, so its text is no answer.
 */
const COHERE: Readonly<Record<string, string>> = {
  COMPLETE: 'end_turn',
  MAX_TOKENS: 'max_tokens',
  ERROR_TOXIC: 'content_filtered',
  ERROR_LIMIT: 'model_context_window_exceeded',
  ERROR: 'malformed_model_output',
}

type Body = Readonly<Record<string, unknown>>

const isObject = (value: unknown): value is Body => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The first item of `body[key]` when it is an array of objects (Titan `results`, Mistral `outputs`...). */
function firstOf(body: Body, key: string): Body | undefined {
  const items = body[key]
  const first: unknown = Array.isArray(items) ? items[0] : undefined
  return isObject(first) ? first : undefined
}

/** `value[key]` read through `table` (upper-cased first when `upper`); an unknown string is kept as it is. */
function translated(value: Body | undefined, key: string, table: Readonly<Record<string, string>>, upper = false): string | undefined {
  const reason = value?.[key]
  if (typeof reason !== 'string') return undefined
  const word = upper ? reason.toUpperCase() : reason
  // Own keys only: a body saying `constructor` must not read Object.prototype.
  return Object.hasOwn(table, word) ? table[word] : reason
}

/**
 * The stop reason of a parsed InvokeModel body (or of one chunk of a streamed one), in the Converse vocabulary;
 * undefined when the body says none. A guardrail's `amazon-bedrock-guardrailAction: INTERVENED`, which Bedrock adds
 * to any family's body, comes first. Of several results (Cohere's `num_generations`), the first one's.
 */
export function invokeStopReason(body: unknown): string | undefined {
  if (!isObject(body)) return undefined
  if (body['amazon-bedrock-guardrailAction'] === 'INTERVENED') return 'guardrail_intervened'
  return translated(body, 'stop_reason', STOP_REASON) // Anthropic, Meta Llama
    ?? translated(body, 'stopReason', {}) // Amazon Nova: Converse's values already
    ?? translated(firstOf(body, 'outputs'), 'stop_reason', STOP_REASON) // Mistral text completion
    ?? translated(firstOf(body, 'choices'), 'stop_reason', STOP_REASON) // Mistral chat completion
    ?? translated(firstOf(body, 'choices'), 'finish_reason', STOP_REASON)
    ?? translated(firstOf(body, 'results'), 'completionReason', TITAN, true) // Amazon Titan Text
    ?? translated(body, 'completionReason', TITAN, true) // a Titan stream chunk
    ?? translated(body, 'finish_reason', COHERE, true) // Cohere Command R
    ?? translated(firstOf(body, 'generations'), 'finish_reason', COHERE, true) // Cohere Command
}
