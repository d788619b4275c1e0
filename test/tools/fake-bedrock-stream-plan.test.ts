/**
 * The fake's fault plan for ConverseStream, driven by the real SDK: pre-stream faults act on `converse-stream` as on
 * `converse`, stream kinds touch only stream calls, a target can reject prefills, and rules that cannot work are refused.
 */
import {
  ConverseCommand, ModelTimeoutException, ResourceNotFoundException, ServiceUnavailableException, ThrottlingException,
  ValidationException, type ConverseStreamCommandInput,
} from '@aws-sdk/client-bedrock-runtime'
import type { FaultKind, FaultRule } from '../../tools/fake-bedrock/fake-bedrock.js'
import { askStream, completeEvents, drain, STREAM_MODEL } from '../support/converse-stream.js'
import { useFakeBedrock } from '../support/fake-bedrock-fixture.js'

const bed = useFakeBedrock()
const SMALL = 'anthropic.claude-3-haiku-20240307-v1:0'
/** A conversation that ends with the assistant's partial answer, for the model to continue (a prefill). */
const prefill = (modelId: string): ConverseStreamCommandInput => ({
  modelId,
  messages: [{ role: 'user', content: [{ text: 'count to five' }] }, { role: 'assistant', content: [{ text: 'one two' }] }],
})

describe('pre-stream faults act on converse-stream as on converse', () => {
  const cases: [FaultKind, new (...args: never[]) => Error, number][] = [
    ['throttle', ThrottlingException, 429],
    ['unavailable', ServiceUnavailableException, 503],
    ['model-timeout', ModelTimeoutException, 408],
    ['not-found', ResourceNotFoundException, 404],
  ]
  it.each(cases)('%s → %p from `send`, with HTTP %d, before any event', async (kind, ErrorClass, status) => {
    bed.server.plan([{ kind, retryAfterSeconds: 3 }])
    const got = await drain(bed.east, askStream('x'))
    expect(got.sent).toBe(false)
    expect(got.error).toBeInstanceOf(ErrorClass)
    expect(got.error?.$metadata).toMatchObject({ httpStatusCode: status, attempts: 1 })
    expect(bed.server.calls[0]).toMatchObject({ operation: 'converse-stream', status, outcome: 'error', events: [] })
  })

  it('a reset before the headers rejects `send` with a network error', async () => {
    bed.server.plan([{ kind: 'reset' }])
    const got = await drain(bed.east, askStream('x'))
    expect(got.sent).toBe(false)
    expect(String(got.error?.code ?? got.error?.message)).toMatch(/ERR_HTTP2_STREAM_ERROR/)
  })

  it('a hang keeps `send` waiting until the caller aborts it: AbortError', async () => {
    bed.server.plan([{ kind: 'hang' }])
    const controller = new AbortController()
    const sent = drain(bed.east, askStream('x'), controller.signal)
    await bed.server.waitForCalls(1)
    controller.abort()
    expect((await sent).error).toMatchObject({ name: 'AbortError' })
  })

  it('a delay sends the headers late, then a complete stream', async () => {
    bed.server.plan([{ kind: 'delay', delayMs: 80 }])
    const started = Date.now()
    const got = await drain(bed.east, askStream('a b'))
    expect(Date.now() - started).toBeGreaterThanOrEqual(75)
    expect(got.events).toEqual(completeEvents(4))
  })

  it('the service\'s request checks apply: a conversation that starts with the assistant is a ValidationException', async () => {
    const got = await drain(bed.east, { modelId: STREAM_MODEL, messages: [{ role: 'assistant', content: [{ text: 'hi' }] }] })
    expect(got.error).toBeInstanceOf(ValidationException)
    expect(got.error?.message).toMatch(/must start with a user message/)
  })
})

describe('which calls a stream rule touches', () => {
  it('stream kinds match only converse-stream calls, and are spent only by them', async () => {
    bed.server.plan([{ kind: 'cut', afterEvents: 1, times: 1 }])
    await expect(bed.east.send(new ConverseCommand(askStream('x')))).resolves.toBeDefined()
    expect(bed.server.remaining()).toEqual([1])
    expect((await drain(bed.east, askStream('x'))).events).toEqual(['messageStart'])
    expect((await drain(bed.east, askStream('x'))).events).toEqual(completeEvents(3))
    expect(bed.server.calls.map((c) => [c.operation, c.outcome])).toEqual([
      ['converse', 'ok'], ['converse-stream', 'cut'], ['converse-stream', 'ok'],
    ])
  })

  it('region and model filters work for stream rules as for the others', async () => {
    bed.server.plan([{ kind: 'stream-exception', afterEvents: 1, region: 'us-east-1' }])
    expect((await drain(bed.east, askStream('x'))).error).toBeInstanceOf(ThrottlingException)
    expect((await drain(bed.west, askStream('x'))).error).toBeUndefined()
  })
})

describe('rejects-prefill', () => {
  beforeEach(() => bed.server.plan([{ kind: 'rejects-prefill', model: SMALL }]))

  it('a prefill to that target is a ValidationException before any stream, on converse-stream and converse', async () => {
    const got = await drain(bed.east, prefill(SMALL))
    expect(got.sent).toBe(false)
    expect(got.error).toBeInstanceOf(ValidationException)
    expect(got.error?.message).toMatch(/does not support assistant message prefill/)
    await expect(bed.east.send(new ConverseCommand(prefill(SMALL)))).rejects.toThrow(/prefill/)
    expect(bed.server.calls.map((c) => c.errorType)).toEqual(['ValidationException', 'ValidationException'])
  })

  it('the same target answers a conversation that ends with the user; other targets accept the prefill', async () => {
    expect((await drain(bed.east, askStream('x', SMALL))).error).toBeUndefined()
    const other = await drain(bed.east, prefill(STREAM_MODEL))
    expect(other.error).toBeUndefined()
    expect(other.events.at(-2)).toBe('messageStop')
    expect(bed.server.calls.map((c) => c.fault)).toEqual([undefined, undefined])
  })
})

describe('rules that cannot work are refused', () => {
  const bad: [string, FaultRule, RegExp][] = [
    ['a cut without afterEvents', { kind: 'cut' }, /afterEvents/],
    ['a stall without afterEvents', { kind: 'stall' }, /afterEvents/],
    ['a slow first token without its delay', { kind: 'slow-first-token' }, /firstTokenDelayMs/],
    ['pacing without a delay', { kind: 'paced' }, /eventDelayMs/],
    ['a negative event count', { kind: 'cut', afterEvents: -1 }, /non-negative/],
    ['a stream field on a pre-stream kind', { kind: 'throttle', afterEvents: 3 }, /stream kind/],
  ]
  it.each(bad)('%s', (_name, rule, message) => {
    expect(() => bed.server.plan([rule])).toThrow(message)
  })
})
