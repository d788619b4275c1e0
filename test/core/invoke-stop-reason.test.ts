/**
 * InvokeModel bodies say how they stopped in their model family's words; each is read into the Converse value that
 * means the same, so stop-reason.ts judges them by one table (the call adapter's verdict: test/aws/bedrock-calls.test.ts).
 */
import { describe, expect, it } from '@jest/globals'
import { invokeStopReason } from '../../src/core/invoke-stop-reason.js'
import { interventionOf } from '../../src/core/stop-reason.js'

const titan = (completionReason: string): object => ({
  inputTextTokenCount: 3, results: [{ tokenCount: 5, outputText: 'hello', completionReason }],
})

const BODIES: [string, object, string | undefined][] = [
  ['Titan FINISH', titan('FINISH'), 'end_turn'],
  ['Titan LENGTH', titan('LENGTH'), 'max_tokens'],
  ['Titan STOP_CRITERIA_MET', titan('STOP_CRITERIA_MET'), 'stop_sequence'],
  ['Titan CONTENT_FILTERED', titan('CONTENT_FILTERED'), 'content_filtered'],
  ['Titan RAG_QUERY_WHEN_RAG_DISABLED (kept: an answer)', titan('RAG_QUERY_WHEN_RAG_DISABLED'), 'RAG_QUERY_WHEN_RAG_DISABLED'],
  ['a Titan stream chunk', { outputText: '', index: 0, completionReason: 'CONTENT_FILTERED' }, 'content_filtered'],
  ['Anthropic', { type: 'message', content: [], stop_reason: 'max_tokens' }, 'max_tokens'],
  ['Anthropic refusal', { type: 'message', content: [], stop_reason: 'refusal' }, 'content_filtered'],
  ['Llama stop', { generation: 'hi', stop_reason: 'stop' }, 'end_turn'],
  ['Llama length', { generation: 'hi', stop_reason: 'length' }, 'max_tokens'],
  ['Mistral text completion', { outputs: [{ text: 'hi', stop_reason: 'length' }] }, 'max_tokens'],
  ['Mistral chat completion', { choices: [{ index: 0, message: {}, stop_reason: 'tool_calls' }] }, 'tool_use'],
  ['an OpenAI-style chat completion', { choices: [{ index: 0, message: {}, finish_reason: 'content_filter' }] }, 'content_filtered'],
  ['Cohere Command R COMPLETE', { text: 'hi', finish_reason: 'COMPLETE' }, 'end_turn'],
  ['Cohere Command R ERROR_TOXIC', { text: 'hi', finish_reason: 'ERROR_TOXIC' }, 'content_filtered'],
  ['Cohere Command R ERROR_LIMIT', { text: 'hi', finish_reason: 'ERROR_LIMIT' }, 'model_context_window_exceeded'],
  ['Cohere Command ERROR', { generations: [{ text: '', finish_reason: 'ERROR' }] }, 'malformed_model_output'],
  ['Cohere Command MAX_TOKENS', { generations: [{ text: 'hi', finish_reason: 'MAX_TOKENS' }] }, 'max_tokens'],
  ['Nova', { output: { message: {} }, stopReason: 'content_filtered' }, 'content_filtered'],
  ['a guardrail, whatever the family', { ...titan('FINISH'), 'amazon-bedrock-guardrailAction': 'INTERVENED' }, 'guardrail_intervened'],
  ['an embedding', { embedding: [0.1, 0.2], inputTextTokenCount: 2 }, undefined],
  ['an array', [{ stop_reason: 'stop' }], undefined],
  ['results that are not objects', { results: ['FINISH'] }, undefined],
]

describe('invokeStopReason', () => {
  it.each(BODIES)('%s', (_name, body, expected) => {
    expect(invokeStopReason(body)).toBe(expected)
  })

  it('reads nothing from what is no body', () => {
    for (const value of [null, undefined, 'FINISH', 3]) expect(invokeStopReason(value)).toBeUndefined()
  })
})

describe('stop reasons named like Object.prototype members', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('%s is kept as it is, never an intervention', (word) => {
    expect(invokeStopReason({ stop_reason: word })).toBe(word)
    expect(invokeStopReason({ finish_reason: word.toUpperCase(), text: 'x' })).toBe(word.toUpperCase())
    expect(interventionOf(word)).toBeUndefined()
  })
})
