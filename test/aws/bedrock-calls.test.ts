/**
 * One attempt to one target: converseCall / invokeModelCall on the real wire (region, model, abort), and the
 * target's limits (maxTokens, maxMessages) checked through aws-sdk-client-mock; InvokeModel bodies of other families.
 */
import { quotaSpent } from '../../src/core/admission/quota-cost.js'
import {
  BedrockRuntimeClient, ConverseCommand, ThrottlingException,
  type ConverseCommandInput, type ConverseCommandOutput, type InvokeModelCommandOutput, type Message,
} from '@aws-sdk/client-bedrock-runtime'
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock'
import { BedrockClientPool } from '../../src/aws/bedrock-clients.js'
import {
  applyTargetLimits, checkInvokeModelOutput, converseCall, extractText, invokeModelCall, type ConverseInput,
} from '../../src/aws/bedrock-calls.js'
import { markedIntervention } from '../../src/core/stop-reason.js'
import type { Target } from '../../src/core/targets.js'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'

const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0'
const user = (text: string): Message => ({ role: 'user', content: [{ text }] })
const assistant = (text: string): Message => ({ role: 'assistant', content: [{ text }] })
const toolUse: Message = { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'lookup', input: {} } }] }
const toolResult: Message = { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: '42' }] } }] }
const never = new AbortController().signal

describe('on the real wire', () => {
  let server: FakeBedrock
  let pool: BedrockClientPool
  beforeAll(async () => {
    server = await FakeBedrock.start()
    pool = new BedrockClientPool({ clientConfig: fakeClientConfig(server) })
  })
  afterEach(() => server.reset())
  afterAll(async () => {
    pool.destroy()
    await server.stop()
  })

  it('converseCall sends to the target model in the target region, limits applied', async () => {
    const call = converseCall(pool)
    const input = { messages: [user('old'), assistant('a'), user('new')], inferenceConfig: { maxTokens: 4000 } }
    const out = await call({ model: HAIKU, region: 'eu-central-1', maxTokens: 256, maxMessages: 2 }, input, never)
    expect(extractText(out)).toBe(`echo: new [${HAIKU}@eu-central-1]`)
    expect(server.calls[0]).toMatchObject({ region: 'eu-central-1', model: HAIKU, operation: 'converse' })
    expect(server.calls[0]?.body).toEqual({ messages: [{ role: 'user', content: [{ text: 'new' }] }], inferenceConfig: { maxTokens: 256 } })
    expect(input.inferenceConfig.maxTokens).toBe(4000) // the caller's input is not mutated
  })

  it('converseCall surfaces Bedrock errors as the SDK raised them', async () => {
    server.plan([{ kind: 'throttle', region: 'us-east-1', retryAfterSeconds: 2 }])
    const err = await converseCall(pool)({ model: HAIKU, region: 'us-east-1' }, { messages: [user('x')] }, never).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ThrottlingException)
    expect(server.callsTo()).toBe(1)
  })

  it('the attempt signal aborts a hanging call', async () => {
    server.plan([{ kind: 'hang' }])
    const controller = new AbortController()
    const sent = converseCall(pool)({ model: HAIKU, region: 'us-west-2' }, { messages: [user('x')] }, controller.signal)
    await server.waitForCalls(1)
    controller.abort()
    await expect(sent).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('invokeModelCall sends the body untouched to the target', async () => {
    const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 99, messages: [{ role: 'user', content: 'raw' }] })
    const target: Target = { model: HAIKU, region: 'ap-northeast-1', maxTokens: 10, maxMessages: 1 }
    const out = await invokeModelCall(pool)(target, { body, contentType: 'application/json', accept: 'application/json' }, never)
    const reply = JSON.parse(new TextDecoder().decode(out.body)) as { content: { text: string }[] }
    expect(reply.content[0]?.text).toBe(`echo: raw [${HAIKU}@ap-northeast-1]`)
    expect(server.calls[0]).toMatchObject({ region: 'ap-northeast-1', operation: 'invoke', body: JSON.parse(body) })
  })
})

describe('with the SDK mocked', () => {
  let mock: AwsClientStub<BedrockRuntimeClient>
  const pool = new BedrockClientPool({ clientConfig: { credentials: { accessKeyId: 'a', secretAccessKey: 'b' } } })
  const reply: ConverseCommandOutput = {
    output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn',
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, metrics: { latencyMs: 1 }, $metadata: {},
  }
  // Mocked only inside this block: mockClient patches the prototype, so every client (the wire tests' too) would see it.
  beforeAll(() => { mock = mockClient(BedrockRuntimeClient) })
  beforeEach(() => mock.reset().on(ConverseCommand).resolves(reply))
  afterAll(() => mock.restore())

  it('passes the attempt signal as the abortSignal of send', async () => {
    const controller = new AbortController()
    await converseCall(pool)({ model: 'm', region: 'us-east-1' }, { messages: [user('x')] }, controller.signal)
    const [sent] = mock.commandCalls(ConverseCommand)
    expect(sent?.args[0].input.modelId).toBe('m')
    const options = (sent?.args as readonly unknown[] | undefined)?.[1] as { abortSignal?: AbortSignal } | undefined
    expect(options?.abortSignal).toBe(controller.signal)
  })

  it('sets maxTokens when absent, caps it when larger, keeps it when smaller', async () => {
    const call = converseCall(pool)
    const target: Target = { model: 'm', region: 'us-east-1', maxTokens: 500 }
    for (const maxTokens of [undefined, 2000, 100]) {
      const input: ConverseInput = { messages: [user('x')] }
      if (maxTokens) input.inferenceConfig = { maxTokens, temperature: 0.2 }
      await call(target, input, never)
    }
    const sent = mock.commandCalls(ConverseCommand).map((c) => c.args[0].input.inferenceConfig)
    expect(sent).toEqual([{ maxTokens: 500 }, { maxTokens: 500, temperature: 0.2 }, { maxTokens: 100, temperature: 0.2 }])
  })
})

describe('applyTargetLimits: maxMessages', () => {
  const target = (maxMessages: number): Target => ({ model: 'm', region: 'us-east-1', maxMessages })
  const trim = (messages: Message[], n: number): Message[] | undefined =>
    applyTargetLimits<ConverseCommandInput>({ modelId: 'x', messages }, target(n)).messages

  it('keeps the newest N when they start with a user turn', () => {
    expect(trim([user('1'), assistant('2'), user('3'), assistant('4'), user('5')], 3)).toEqual([user('3'), assistant('4'), user('5')])
  })

  it('never starts with an assistant message: drops forward to the next user turn', () => {
    expect(trim([user('1'), assistant('2'), user('3'), assistant('4'), user('5')], 4)).toEqual([user('3'), assistant('4'), user('5')])
  })

  it('never starts with an orphaned tool result', () => {
    const history = [user('q1'), assistant('a1'), user('q2'), toolUse, toolResult, assistant('a2'), user('q3')]
    expect(trim(history, 3)).toEqual([user('q3')])
    expect(trim(history, 5)).toEqual([user('q2'), toolUse, toolResult, assistant('a2'), user('q3')])
  })

  it('leaves the history whole when the newest N hold no valid start, and alone when short enough', () => {
    const history = [user('q'), toolUse, toolResult, assistant('a')]
    expect(trim(history, 2)).toBe(history)
    const short = [user('q')]
    expect(trim(short, 5)).toBe(short)
  })

  it('returns the very same input when the target sets no limits', () => {
    const input = { messages: [user('x')] }
    expect(applyTargetLimits(input, { model: 'm', region: 'us-east-1' })).toBe(input)
  })
})

describe('extractText', () => {
  it('joins the text blocks of the reply, skipping other blocks', () => {
    const content = [{ text: 'a' }, toolUse.content?.[0], { text: 'b' }]
    const output = { $metadata: {}, output: { message: { role: 'assistant', content } } }
    expect(extractText(output as ConverseCommandOutput)).toBe('ab')
    expect(extractText({ $metadata: {} } as ConverseCommandOutput)).toBe('')
  })
})

const output = (body: object): InvokeModelCommandOutput =>
  ({ body: new TextEncoder().encode(JSON.stringify(body)), contentType: 'application/json', $metadata: {} }) as InvokeModelCommandOutput
const titan = (completionReason: string): object => ({
  inputTextTokenCount: 3, results: [{ tokenCount: 5, outputText: 'hello', completionReason }],
})

describe('checkInvokeModelOutput on the bodies of other families', () => {
  it('a Titan CONTENT_FILTERED body is marked a content-filter intervention', () => {
    expect(markedIntervention(checkInvokeModelOutput(output(titan('CONTENT_FILTERED'))))).toBe('content-filter')
  })

  it.each(['FINISH', 'LENGTH', 'RAG_QUERY_WHEN_RAG_DISABLED'])('a Titan %s body is an answer', (reason) => {
    expect(markedIntervention(checkInvokeModelOutput(output(titan(reason))))).toBeUndefined()
  })

  it('Cohere ERROR_LIMIT is context overflow, ERROR malformed output (not re-asked)', () => {
    expect(() => checkInvokeModelOutput(output({ text: '', finish_reason: 'ERROR_LIMIT' })))
      .toThrow(expect.objectContaining({ name: 'ContextWindowExceededError' }))
    expect(() => checkInvokeModelOutput(output({ generations: [{ text: '', finish_reason: 'ERROR' }] })))
      .toThrow(expect.objectContaining({ name: 'MalformedOutputError', reaskable: false, stopReason: 'malformed_model_output' }))
  })
})

describe('checkInvokeModelOutput reads what a body used, for a declared quota', () => {
  it.each([
    ['Anthropic', { content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', usage: { input_tokens: 7, output_tokens: 3 } }, 10],
    ['Nova', { output: { message: { content: [{ text: 'hi' }] } }, stopReason: 'end_turn', usage: { inputTokens: 4, outputTokens: 2 } }, 6],
    ['Titan', titan('FINISH'), 8],
    ['Llama', { generation: 'hi', prompt_token_count: 11, generation_token_count: 5, stop_reason: 'stop' }, 16],
    ['Cohere Command R', { text: 'hi', finish_reason: 'COMPLETE', meta: { billed_units: { input_tokens: 2, output_tokens: 1 } } }, 3],
    ['a body that does not say', { outputs: [{ text: 'hi', stop_reason: 'stop' }] }, undefined],
  ])('%s', (_family, body, used) => {
    expect(quotaSpent(checkInvokeModelOutput(output(body)))).toBe(used)
  })
})
