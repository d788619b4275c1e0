/**
 * The fake Bedrock server, driven by the real @aws-sdk/client-bedrock-runtime over real HTTP/2: if these pass, the
 * fake's errors reach code exactly as the real service's would.
 */
import {
  AccessDeniedException, ConverseCommand, InternalServerException, InvokeModelCommand,
  ModelErrorException, ModelNotReadyException, ModelTimeoutException, ResourceNotFoundException,
  ServiceQuotaExceededException, ServiceUnavailableException, ThrottlingException, ValidationException,
  type BedrockRuntimeServiceException, type ConverseCommandInput,
} from '@aws-sdk/client-bedrock-runtime'
import type { FaultKind } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrock } from '../support/fake-bedrock-fixture.js'

const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0'
const ask = (text: string, modelId = MODEL): ConverseCommandInput => ({ modelId, messages: [{ role: 'user', content: [{ text }] }] })

/** The error a promise rejects with, so its fields can be checked one by one. */
async function failure(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p
  } catch (e) {
    return e as Error & Record<string, unknown>
  }
  throw new Error('expected the call to fail')
}

const bed = useFakeBedrock()

describe('success replies', () => {
  it('answers Converse with text, usage and metrics, and logs the call', async () => {
    const out = await bed.east.send(new ConverseCommand(ask('hello')))
    expect(out.output?.message?.content?.[0]?.text).toBe(`echo: hello [${MODEL}@us-east-1]`)
    expect(out.stopReason).toBe('end_turn')
    expect(out.usage?.totalTokens).toBe((out.usage?.inputTokens ?? 0) + (out.usage?.outputTokens ?? 0))
    expect(out.$metadata.httpStatusCode).toBe(200)
    const [call] = bed.server.calls
    expect(call).toMatchObject({ region: 'us-east-1', model: MODEL, operation: 'converse', status: 200, outcome: 'ok' })
    expect(call?.body).toEqual({ messages: [{ role: 'user', content: [{ text: 'hello' }] }] })
    expect(call?.endedAt).toBeGreaterThanOrEqual(call?.startedAt ?? Infinity)
  })

  it('answers InvokeModel with an Anthropic-messages-shaped body', async () => {
    const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] })
    const modelId = 'us.anthropic.claude-sonnet-4-20250514-v1:0'
    const out = await bed.west.send(new InvokeModelCommand({ modelId, body, contentType: 'application/json' }))
    const reply = JSON.parse(new TextDecoder().decode(out.body)) as { content: { type: string; text: string }[]; stop_reason: string }
    expect(reply.content).toEqual([{ type: 'text', text: 'echo: hi [us.anthropic.claude-sonnet-4-20250514-v1:0@us-west-2]' }])
    expect(reply.stop_reason).toBe('end_turn')
    expect(bed.server.calls[0]).toMatchObject({ operation: 'invoke', model: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })
  })

  it('uses the reply function it is given', async () => {
    bed.server.replyWith((c) => `${c.operation}:${c.lastUserText.toUpperCase()}`)
    const out = await bed.east.send(new ConverseCommand(ask('shout')))
    expect(out.output?.message?.content?.[0]?.text).toBe('converse:SHOUT')
  })

  it('rejects what the real service rejects: a conversation that starts with the assistant', async () => {
    const input: ConverseCommandInput = { modelId: MODEL, messages: [{ role: 'assistant', content: [{ text: 'hi' }] }] }
    const err = await failure(bed.east.send(new ConverseCommand(input)))
    expect(err).toBeInstanceOf(ValidationException)
    expect(err.message).toMatch(/must start with a user message/)
  })
})

describe('faults surface as the SDK exception classes', () => {
  const cases: { kind: FaultKind; ErrorClass: new (...args: never[]) => BedrockRuntimeServiceException; status: number }[] = [
    { kind: 'throttle', ErrorClass: ThrottlingException, status: 429 },
    { kind: 'model-not-ready', ErrorClass: ModelNotReadyException, status: 429 },
    { kind: 'quota', ErrorClass: ServiceQuotaExceededException, status: 400 },
    { kind: 'unavailable', ErrorClass: ServiceUnavailableException, status: 503 },
    { kind: 'internal', ErrorClass: InternalServerException, status: 500 },
    { kind: 'model-timeout', ErrorClass: ModelTimeoutException, status: 408 },
    { kind: 'model-error', ErrorClass: ModelErrorException, status: 424 },
    { kind: 'validation', ErrorClass: ValidationException, status: 400 },
    { kind: 'context-overflow', ErrorClass: ValidationException, status: 400 },
    { kind: 'access-denied', ErrorClass: AccessDeniedException, status: 403 },
    { kind: 'not-found', ErrorClass: ResourceNotFoundException, status: 404 },
  ]
  it.each(cases.map((c) => ({ ...c, name: c.ErrorClass.name })))('$kind → $name (HTTP $status)', async ({ kind, ErrorClass, status }) => {
    bed.server.plan([{ kind }])
    const err = await failure(bed.east.send(new ConverseCommand(ask('x'))))
    expect(err).toBeInstanceOf(ErrorClass)
    expect(err.name).toBe(ErrorClass.name)
    expect(err.$metadata).toMatchObject({ httpStatusCode: status, attempts: 1 })
    expect(bed.server.calls[0]).toMatchObject({ status, errorType: ErrorClass.name, outcome: 'error', fault: kind })
  })

  it('context-overflow says so in the words Bedrock uses', async () => {
    bed.server.plan([{ kind: 'context-overflow' }])
    const err = await failure(bed.east.send(new ConverseCommand(ask('x'))))
    expect(err.message).toBe('Input is too long for requested model.')
  })

  it('context-overflow can hit only requests longer than a limit', async () => {
    bed.server.plan([{ kind: 'context-overflow', whenLongerThan: { chars: 10 } }])
    await expect(bed.east.send(new ConverseCommand(ask('short')))).resolves.toBeDefined()
    await expect(bed.east.send(new ConverseCommand(ask('far too long for it')))).rejects.toThrow(/too long/)
  })

  it('a throttle carries Retry-After, readable on the hidden $response of the SDK error', async () => {
    bed.server.plan([{ kind: 'throttle', retryAfterSeconds: 7 }])
    const err = await failure(bed.east.send(new ConverseCommand(ask('x'))))
    const response = err.$response as { statusCode: number; headers: Record<string, string> }
    expect(response.statusCode).toBe(429)
    expect(response.headers['retry-after']).toBe('7')
    expect(response.headers['x-amzn-errortype']).toMatch(/^ThrottlingException:/)
    expect(Object.keys(err)).not.toContain('$response')
  })

  it('ModelErrorException carries originalStatusCode', async () => {
    bed.server.plan([{ kind: 'model-error' }])
    const err = await failure(bed.east.send(new ConverseCommand(ask('x'))))
    expect((err as unknown as ModelErrorException).originalStatusCode).toBe(500)
  })

  it('a rule message replaces the default one', async () => {
    bed.server.plan([{ kind: 'validation', message: 'messages.0: bad' }])
    await expect(bed.east.send(new ConverseCommand(ask('x')))).rejects.toThrow('messages.0: bad')
  })
})
