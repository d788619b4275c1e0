/**
 * The fake Bedrock answers InvokeModel in the model family's own body format, and a `stop-reason` rule in the
 * family's own words: what the real SDK reads back over HTTP/2 is a Titan body for a Titan model, and so on.
 */
import { InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime'
import { invokeFamilyOf, nativeStopReason } from '../../tools/fake-bedrock/fake-bedrock-families.js'
import { BLOCKED_MESSAGE } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrock } from '../support/fake-bedrock-fixture.js'

const bed = useFakeBedrock()
const TITAN = 'amazon.titan-text-express-v1'

async function invoke(modelId: string, body: object): Promise<Record<string, unknown>> {
  const out = await bed.east.send(new InvokeModelCommand({
    modelId, body: JSON.stringify(body), contentType: 'application/json', accept: 'application/json',
  }))
  return JSON.parse(new TextDecoder().decode(out.body)) as Record<string, unknown>
}

describe('InvokeModel bodies by model family', () => {
  it('knows the family from a model id or an inference profile id', () => {
    expect(invokeFamilyOf(TITAN)).toBe('titan')
    expect(invokeFamilyOf('us.amazon.nova-pro-v1:0')).toBe('nova')
    expect(invokeFamilyOf('us.meta.llama3-3-70b-instruct-v1:0')).toBe('llama')
    expect(invokeFamilyOf('mistral.mistral-large-2402-v1:0')).toBe('mistral')
    expect(invokeFamilyOf('cohere.command-r-plus-v1:0')).toBe('cohere-r')
    expect(invokeFamilyOf('cohere.command-text-v14')).toBe('cohere')
    expect(invokeFamilyOf('anthropic.claude-3-haiku-20240307-v1:0')).toBe('anthropic')
    expect(invokeFamilyOf('arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc')).toBe('anthropic')
  })

  it('a Titan model answers with results[].completionReason, echoing inputText', async () => {
    expect(await invoke(TITAN, { inputText: 'hello', textGenerationConfig: { maxTokenCount: 64 } })).toEqual({
      inputTextTokenCount: expect.any(Number),
      results: [{ tokenCount: expect.any(Number), outputText: expect.stringContaining('echo: hello'), completionReason: 'FINISH' }],
    })
  })

  it('a stop-reason rule speaks Titan: content_filtered is CONTENT_FILTERED, with the blocked message', async () => {
    bed.server.plan([{ kind: 'stop-reason', stopReason: 'content_filtered', times: 1 }, { kind: 'stop-reason', stopReason: 'max_tokens' }])
    expect(await invoke(TITAN, { inputText: 'x' })).toMatchObject({
      results: [{ outputText: BLOCKED_MESSAGE, completionReason: 'CONTENT_FILTERED' }],
    })
    expect(await invoke(TITAN, { inputText: 'x' })).toMatchObject({ results: [{ completionReason: 'LENGTH' }] })
  })

  it('a value the family has no word for is sent as it is; a guardrail is a body member in every family', async () => {
    bed.server.plan([
      { kind: 'stop-reason', stopReason: 'RAG_QUERY_WHEN_RAG_DISABLED', times: 1 },
      { kind: 'stop-reason', stopReason: 'guardrail_intervened' },
    ])
    expect(await invoke(TITAN, { inputText: 'x' })).toMatchObject({ results: [{ completionReason: 'RAG_QUERY_WHEN_RAG_DISABLED' }] })
    expect(await invoke(TITAN, { inputText: 'x' })).toMatchObject({
      'amazon-bedrock-guardrailAction': 'INTERVENED', results: [{ completionReason: 'FINISH' }],
    })
  })

  it('Llama, Mistral, Cohere and Nova bodies carry their own stop reason fields', async () => {
    bed.server.plan([{ kind: 'stop-reason', stopReason: 'max_tokens' }])
    const llama = await invoke('meta.llama3-8b-instruct-v1:0', { prompt: 'x' })
    expect(llama).toMatchObject({ generation: expect.any(String), stop_reason: 'length' })
    expect(await invoke('mistral.mistral-7b-instruct-v0:2', { prompt: 'x' })).toMatchObject({ outputs: [{ stop_reason: 'length' }] })
    expect(await invoke('cohere.command-r-v1:0', { message: 'x' })).toMatchObject({ text: expect.any(String), finish_reason: 'MAX_TOKENS' })
    expect(await invoke('cohere.command-text-v14', { prompt: 'x' })).toMatchObject({ generations: [{ finish_reason: 'MAX_TOKENS' }] })
    expect(await invoke('amazon.nova-lite-v1:0', { messages: [] })).toMatchObject({ stopReason: 'max_tokens' })
  })

  it('translates Cohere\'s failures into its own words', () => {
    expect(nativeStopReason('cohere-r', 'model_context_window_exceeded')).toBe('ERROR_LIMIT')
    expect(nativeStopReason('cohere', 'content_filtered')).toBe('ERROR_TOXIC')
    expect(nativeStopReason('anthropic', 'content_filtered')).toBe('content_filtered')
  })
})
