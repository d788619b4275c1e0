/**
 * InvokeModel replies as each model family writes them. A raw body is the model's own format, so the fake answers a
 * Titan model with a Titan body (`results[].completionReason`), a Llama model with `generation` and `stop_reason`,
 * and so on; a `stop-reason` rule names the stop reason in the Converse vocabulary (the SDK's `StopReason`) and the
 * body says it in the family's words. A value the family has no word for is sent as it is (so a rule can plan a
 * family's own value, e.g. Titan's `RAG_QUERY_WHEN_RAG_DISABLED`).
 */
import { estimateTokens } from './fake-bedrock-wire.js'

/** The InvokeModel body formats the fake writes; a model of no known family gets the Anthropic messages format. */
export type InvokeFamily = 'anthropic' | 'titan' | 'nova' | 'llama' | 'mistral' | 'cohere' | 'cohere-r'

const GEO = new Set(['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global'])

/** The body format of a model id or inference profile id (`us.amazon.titan-...` is Titan's). */
export function invokeFamilyOf(model: string): InvokeFamily {
  const parts = model.split('.')
  const [provider = '', line = ''] = GEO.has(parts[0] ?? '') ? parts.slice(1) : parts
  if (provider === 'amazon') return line.startsWith('titan') ? 'titan' : line.startsWith('nova') ? 'nova' : 'anthropic'
  if (provider === 'meta') return 'llama'
  if (provider === 'mistral') return 'mistral'
  if (provider === 'cohere') return line.startsWith('command-r') ? 'cohere-r' : 'cohere'
  return 'anthropic'
}

const COHERE: Readonly<Record<string, string>> = {
  end_turn: 'COMPLETE', max_tokens: 'MAX_TOKENS', content_filtered: 'ERROR_TOXIC',
  model_context_window_exceeded: 'ERROR_LIMIT', malformed_model_output: 'ERROR',
}

/** Each family's word for a Converse stop reason; Anthropic's and Nova's are Converse's own. */
const NATIVE: Readonly<Record<InvokeFamily, Readonly<Record<string, string>>>> = {
  anthropic: {},
  nova: {},
  titan: { end_turn: 'FINISH', max_tokens: 'LENGTH', stop_sequence: 'STOP_CRITERIA_MET', content_filtered: 'CONTENT_FILTERED' },
  llama: { end_turn: 'stop', max_tokens: 'length' },
  mistral: { end_turn: 'stop', max_tokens: 'length', tool_use: 'tool_calls' },
  cohere: COHERE,
  'cohere-r': COHERE,
}

/** `stopReason` (Converse's vocabulary) in the family's words; one it has no word for as it is. */
export function nativeStopReason(family: InvokeFamily, stopReason: string): string {
  return NATIVE[family][stopReason] ?? stopReason
}

interface BodyParts {
  readonly text: string
  readonly model: string
  readonly seq: number
  readonly input: number
  readonly output: number
  /** In the family's words. */
  readonly reason: string
}

const id = (seq: number): string => String(seq).padStart(6, '0')

const BODIES: Readonly<Record<InvokeFamily, (p: BodyParts) => Record<string, unknown>>> = {
  anthropic: (p) => ({
    id: `msg_bdrk_${id(p.seq)}`, type: 'message', role: 'assistant', model: p.model, content: [{ type: 'text', text: p.text }],
    stop_reason: p.reason, stop_sequence: null, usage: { input_tokens: p.input, output_tokens: p.output },
  }),
  nova: (p) => ({
    output: { message: { role: 'assistant', content: [{ text: p.text }] } }, stopReason: p.reason,
    usage: { inputTokens: p.input, outputTokens: p.output, totalTokens: p.input + p.output },
  }),
  titan: (p) => ({ inputTextTokenCount: p.input, results: [{ tokenCount: p.output, outputText: p.text, completionReason: p.reason }] }),
  llama: (p) => ({ generation: p.text, prompt_token_count: p.input, generation_token_count: p.output, stop_reason: p.reason }),
  mistral: (p) => ({ outputs: [{ text: p.text, stop_reason: p.reason }] }),
  cohere: (p) => ({ id: `gen-${id(p.seq)}`, generations: [{ id: `g-${id(p.seq)}`, text: p.text, finish_reason: p.reason }] }),
  'cohere-r': (p) => ({
    response_id: `r-${id(p.seq)}`, generation_id: `g-${id(p.seq)}`, text: p.text, finish_reason: p.reason, chat_history: [],
  }),
}

/**
 * An InvokeModel reply in the model family's format, with the token headers the real service adds. A guardrail
 * says so in a body member of its own, in every family; the model's stop reason is then the end of its turn.
 */
export function invokeReply(text: string, model: string, inputChars: number, latencyMs: number, seq: number, stopReason = 'end_turn') {
  const input = estimateTokens(inputChars)
  const output = estimateTokens(text.length)
  const family = invokeFamilyOf(model)
  const guarded = stopReason === 'guardrail_intervened'
  const reason = nativeStopReason(family, guarded ? 'end_turn' : stopReason)
  const body = BODIES[family]({ text, model, seq, input, output, reason })
  if (guarded) body['amazon-bedrock-guardrailAction'] = 'INTERVENED'
  return {
    body,
    headers: {
      'x-amzn-bedrock-input-token-count': String(input),
      'x-amzn-bedrock-output-token-count': String(output),
      'x-amzn-bedrock-invocation-latency': String(latencyMs),
    },
  }
}
