/**
 * A Middy handler in `executionModeStreamifyResponse` behind the preset, answering with `sseResponse(reply)`, run the
 * way the Lambda runtime runs it (`handler(event, responseStream, context)`, the `awslambda` global of
 * tools/local-invoke/response-stream.ts) with mocked Bedrock clients. What the client of a function URL reads: the
 * prelude, then the events as they are written. A failure before the first token is gracefulDegradation's 503; after
 * it, the last event is a polite error.
 */
import { describe, expect, it } from '@jest/globals'
import {
  BedrockRuntimeClient, ConverseStreamCommand, ThrottlingException, type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime'
import middy from '@middy/core'
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse'
import { mockClient } from 'aws-sdk-client-mock'
import type { ConverseStreamOptions } from '../../src/aws/bedrock-api.js'
import { breakwater } from '../../src/middlewares/breakwater.js'
import type { BreakwaterContext } from '../../src/middlewares/stack.js'
import { sseResponse } from '../../src/responders/sse.js'
import { installAwsLambdaGlobal, type StreamingHandler } from '../../tools/local-invoke/response-stream.js'
import { invokeStreaming, type StreamedResponse } from '../../tools/local-invoke/stream-decoder.js'
import { functionUrlEvent, lambdaContext } from '../support/events.js'

installAwsLambdaGlobal()

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0'
const routes = { default: [`${HAIKU}@us-east-1`, `${HAIKU}@us-west-2`] }
const REQUEST_ID = 'stream-request-1'
const bedrock = mockClient(BedrockRuntimeClient)
beforeEach(() => bedrock.reset())
afterAll(() => bedrock.restore())

const delta = (text: string): ConverseStreamOutput => ({ contentBlockDelta: { contentBlockIndex: 0, delta: { text } } })
const START: ConverseStreamOutput = { messageStart: { role: 'assistant' } }
const whole = (...texts: string[]): ConverseStreamOutput[] => [
  START, ...texts.map(delta), { contentBlockStop: { contentBlockIndex: 0 } }, { messageStop: { stopReason: 'end_turn' } },
  { metadata: { usage: { inputTokens: 3, outputTokens: texts.length, totalTokens: 3 + texts.length }, metrics: { latencyMs: 9 } } },
]
async function* events(list: ConverseStreamOutput[], error?: Error, hold?: Promise<void>): AsyncGenerator<ConverseStreamOutput> {
  for (const [i, event] of list.entries()) {
    if (i === 2 && hold !== undefined) await hold
    yield event
  }
  if (error) throw error
}
const throttled = (): ThrottlingException => new ThrottlingException({ message: 'Rate exceeded for account 123456789012', $metadata: {} })

/** Streams per region, in call order. */
function plan(byRegion: Record<string, Array<() => AsyncGenerator<ConverseStreamOutput> | Error>>): string[] {
  const calls: string[] = []
  bedrock.on(ConverseStreamCommand).callsFake(async (_input, getClient) => {
    const region = await getClient().config.region()
    calls.push(region)
    const made = byRegion[region]?.shift()?.()
    if (made === undefined) throw new Error(`no plan for ${region}`)
    if (made instanceof Error) throw made
    return { stream: made, $metadata: {} }
  })
  return calls
}

function streamingHandler(options: ConverseStreamOptions = {}): StreamingHandler {
  const handler = middy<unknown, unknown, Error, BreakwaterContext>({ executionMode: executionModeStreamifyResponse })
    .use(breakwater({ routes, backoff: { maxAttempts: 1 } }))
    .handler(async (_event, context) => {
      const reply = await context.bedrock.converseStream({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] }, options)
      return sseResponse(reply, { requestId: context.awsRequestId })
    })
  return handler as unknown as StreamingHandler
}

/** The SSE events of a body, in order: `[name, data]`. */
const eventsOf = (response: StreamedResponse): [string, unknown][] =>
  response.body.split('\n\n').filter(Boolean).map((block) => {
    const [, name, data] = /^event: (\w+)\ndata: (.*)$/s.exec(block) ?? []
    return [name ?? `unparsed: ${block}`, JSON.parse(data ?? 'null')]
  })

const run = (options?: ConverseStreamOptions): Promise<StreamedResponse> =>
  invokeStreaming(streamingHandler(options), functionUrlEvent(), lambdaContext(REQUEST_ID))

describe('a streamified Middy handler answering with sseResponse', () => {
  it('sends the prelude, then one event per text delta as it is written, then done with where it was served', async () => {
    plan({ 'us-east-1': [() => events(whole('He', 'llo'))] })
    const response = await run()
    const headers = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }
    expect(response.prelude).toEqual({ statusCode: 200, headers })
    expect(eventsOf(response)).toEqual([
      ['token', { text: 'He' }],
      ['token', { text: 'llo' }],
      ['done', {
        stopReason: 'end_turn', served: { model: HAIKU, region: 'us-east-1', degraded: false, timeToFirstTokenMs: expect.any(Number) },
      }],
    ])
    expect(response.chunks).toHaveLength(3)
  })

  it('writes each event as soon as it arrives, before the stream has ended', async () => {
    let release: () => void = () => undefined
    const hold = new Promise<void>((resolve) => { release = resolve })
    plan({ 'us-east-1': [() => events(whole('He', 'llo'), undefined, hold)] })
    const seen: string[] = []
    const done = invokeStreaming(streamingHandler(), functionUrlEvent(), lambdaContext(REQUEST_ID), (part) => {
      seen.push('prelude' in part ? 'prelude' : part.body.toString('utf8'))
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen).toEqual(['prelude', 'event: token\ndata: {"text":"He"}\n\n'])
    release()
    await done
    expect(seen).toHaveLength(4)
  })

  it('a restart is an event of its own, before the new answer', async () => {
    plan({ 'us-east-1': [() => events([START, delta('Hel')])], 'us-west-2': [() => events(whole('Hello!'))] })
    const names = eventsOf(await run())
    expect(names).toEqual([
      ['token', { text: 'Hel' }],
      ['restart', { reason: 'cut', discardedText: 3 }],
      ['token', { text: 'Hello!' }],
      ['done', expect.objectContaining({ served: expect.objectContaining({ region: 'us-west-2' }) })],
    ])
  })

  it('an interruption after the first byte ends the stream with a polite error event: no SDK text, no done', async () => {
    plan({ 'us-east-1': [() => events([START, delta('Hel')], throttled())] })
    const response = await run({ interrupted: 'fail' })
    expect(response.prelude?.statusCode).toBe(200)
    expect(eventsOf(response)).toEqual([
      ['token', { text: 'Hel' }],
      ['error', { message: 'The assistant is busy right now. Please try again in a moment.', retryAfterSeconds: 5, requestId: REQUEST_ID }],
    ])
    expect(response.body).not.toMatch(/Rate exceeded|123456789012|Throttling|at /)
  })

  it('no target left to restart on ends with the error event too', async () => {
    plan({ 'us-east-1': [() => events([START, delta('Hel')])], 'us-west-2': [() => throttled()] })
    const names = eventsOf(await run()).map(([name]) => name)
    expect(names).toEqual(['token', 'error'])
  })

  it('a failure before the first token is gracefulDegradation\'s 503 with Retry-After, its JSON body piped as the stream', async () => {
    const calls = plan({ 'us-east-1': [() => throttled()], 'us-west-2': [() => throttled()] })
    const response = await run()
    expect(response.contentType).toBe('application/vnd.awslambda.http-integration-response')
    const headers = { 'content-type': 'application/json', 'retry-after': expect.stringMatching(/^\d+$/) }
    expect(response.prelude).toEqual({ statusCode: 503, headers })
    expect(JSON.parse(response.body)).toEqual({
      message: 'The assistant is busy right now. Please try again in a moment.',
      retryAfterSeconds: expect.any(Number), requestId: REQUEST_ID,
    })
    expect(calls).toEqual(['us-east-1', 'us-west-2'])
  })

  it('a client that goes away mid-stream aborts the Bedrock request', async () => {
    let release: () => void = () => undefined
    const hold = new Promise<void>((resolve) => { release = resolve })
    plan({ 'us-east-1': [() => events(whole('He', 'llo'), undefined, hold)] })
    const handler = streamingHandler()
    const outcome = invokeStreaming(async (event, stream, context) => {
      // The client disconnects after the first event: Lambda's response stream fails.
      stream.once('pipe', () => setTimeout(() => stream.destroy(new Error('client went away')), 20))
      return handler(event, stream, context)
    }, functionUrlEvent(), lambdaContext(REQUEST_ID)).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 60))
    release()
    expect(await outcome).toMatchObject({ message: 'client went away' })
    const options = (bedrock.send.firstCall.args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined
    expect(options?.abortSignal?.aborted).toBe(true)
  })
})
