/**
 * `context.bedrock.converseStream` through a real Middy stack with mocked clients: the first-token gate hides
 * failures before it, a stream is complete only with messageStop, and an interruption restarts, continues or fails.
 * The real-wire versions (the SDK's event-stream decoder against the fake Bedrock) live in test/scenarios.
 */
import { describe, expect, it } from '@jest/globals'
import {
  BedrockRuntimeClient, ConverseStreamCommand, ServiceUnavailableException, ThrottlingException,
  type ConverseStreamCommandInput, type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime'
import middy from '@middy/core'
import { mockClient } from 'aws-sdk-client-mock'
import type { ConverseStreamOptions, ConverseStreamReply, StreamFinal } from '../../src/aws/bedrock-api.js'
import { MemoryBreakerStore } from '../../src/core/breaker/memory-store.js'
import { breakwater } from '../../src/middlewares/breakwater.js'
import type { BreakwaterContext } from '../../src/middlewares/stack.js'
import { directEvent, lambdaContext } from '../support/events.js'

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0'
const routes = { default: [`${HAIKU}@us-east-1`, `${HAIKU}@us-west-2`] }
const bedrock = mockClient(BedrockRuntimeClient)
beforeEach(() => bedrock.reset())
afterAll(() => bedrock.restore())

const delta = (text: string): ConverseStreamOutput => ({ contentBlockDelta: { contentBlockIndex: 0, delta: { text } } })
const whole = (...texts: string[]): ConverseStreamOutput[] => [
  { messageStart: { role: 'assistant' } }, ...texts.map(delta), { contentBlockStop: { contentBlockIndex: 0 } },
  { messageStop: { stopReason: 'end_turn' } },
  { metadata: { usage: { inputTokens: 3, outputTokens: texts.length, totalTokens: 3 + texts.length }, metrics: { latencyMs: 9 } } },
]
/** An event stream as the SDK hands it over: async-iterable, optionally throwing after its events. */
async function* events(list: ConverseStreamOutput[], error?: Error, gapMs = 0): AsyncGenerator<ConverseStreamOutput> {
  for (const event of list) {
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs))
    yield event
  }
  if (error) throw error
}
/** Answers per region, in call order: each entry is the stream the next call to that region gets. */
function plan(byRegion: Record<string, Array<() => AsyncGenerator<ConverseStreamOutput> | Error>>): string[] {
  const calls: string[] = []
  bedrock.on(ConverseStreamCommand).callsFake(async (_input: ConverseStreamCommandInput, getClient) => {
    const region = await getClient().config.region()
    calls.push(region)
    const next = byRegion[region]?.shift()
    if (next === undefined) throw new Error(`no plan for ${region}`)
    const made = next()
    if (made instanceof Error) throw made
    return { stream: made, $metadata: {} }
  })
  return calls
}

async function stream(options: ConverseStreamOptions = {}) {
  const seen: string[] = []
  const handler = middy(async (_event: unknown, context: BreakwaterContext) => {
    const input = { messages: [{ role: 'user' as const, content: [{ text: 'hi' }] }] }
    const reply: ConverseStreamReply = await context.bedrock.converseStream(input, options)
    for await (const event of reply) {
      if ('breakwaterRestart' in event) seen.push('RESTART')
      else if (event.contentBlockDelta?.delta?.text !== undefined) seen.push(event.contentBlockDelta.delta.text)
    }
    return reply.final()
  }).use(breakwater({ routes, degradation: false, backoff: { maxAttempts: 1 } }))
  const result = await handler(directEvent(), lambdaContext() as BreakwaterContext).then(
    (final): { final?: StreamFinal; error?: unknown } => ({ final }),
    (error: unknown): { final?: StreamFinal; error?: unknown } => ({ error }),
  )
  return { seen, ...result }
}

const throttled = (): ThrottlingException => new ThrottlingException({ message: 'slow down', $metadata: {} })

describe('converseStream', () => {
  it('streams every token of a whole answer, and final() gives its text, stop reason and where it came from', async () => {
    const calls = plan({ 'us-east-1': [() => events(whole('He', 'llo'))] })
    const { seen, final } = await stream()
    expect(seen).toEqual(['He', 'llo'])
    expect(final).toMatchObject({ text: 'Hello', stopReason: 'end_turn', served: { region: 'us-east-1', degraded: false } })
    expect(calls).toEqual(['us-east-1'])
  })

  it('a failure before the first token is invisible: the next target streams the answer', async () => {
    const calls = plan({
      'us-east-1': [() => events([{ messageStart: { role: 'assistant' } }], throttled())],
      'us-west-2': [() => events(whole('Hi'))],
    })
    const { seen, final } = await stream()
    expect(seen).toEqual(['Hi'])
    expect(final).toMatchObject({ served: { region: 'us-west-2', degraded: 'fallback-target' } })
    expect(calls).toEqual(['us-east-1', 'us-west-2'])
  })

  it('a first token later than firstTokenTimeoutMs moves on to the next target', async () => {
    plan({ 'us-east-1': [() => events(whole('late'), undefined, 200)], 'us-west-2': [() => events(whole('on time'))] })
    const { seen, final } = await stream({ firstTokenTimeoutMs: 50 })
    expect(seen).toEqual(['on time'])
    expect(final).toMatchObject({ served: { region: 'us-west-2' } })
  })

  it('a stream cut after its first token restarts on the next target, with the restart event first', async () => {
    const calls = plan({
      'us-east-1': [() => events([{ messageStart: { role: 'assistant' } }, delta('Hel')])],
      'us-west-2': [() => events(whole('Hello!'))],
    })
    const { seen, final } = await stream()
    expect(seen).toEqual(['Hel', 'RESTART', 'Hello!'])
    expect(final).toMatchObject({ text: 'Hello!', served: { region: 'us-west-2' } })
    expect(calls).toEqual(['us-east-1', 'us-west-2'])
  })

  it('continue: the next target gets the partial answer as an assistant prefill', async () => {
    plan({
      'us-east-1': [() => events([{ messageStart: { role: 'assistant' } }, delta('Hel')], throttled())],
      'us-west-2': [() => events(whole('lo'))],
    })
    const { seen, final } = await stream({ interrupted: 'continue' })
    expect(seen).toEqual(['Hel', 'lo'])
    expect(final).toMatchObject({ text: 'Hello' })
    const sent = bedrock.commandCalls(ConverseStreamCommand)[1]?.args[0].input.messages
    expect(sent?.at(-1)).toEqual({ role: 'assistant', content: [{ text: 'Hel' }] })
  })

  it('fail: a StreamInterruptedError with the partial text, never a truncated answer', async () => {
    plan({ 'us-east-1': [() => events([{ messageStart: { role: 'assistant' } }, delta('Hel')])] })
    const { error } = await stream({ interrupted: 'fail' })
    expect(error).toMatchObject({ name: 'StreamInterruptedError', kind: 'cut', partialText: 'Hel', served: { region: 'us-east-1' } })
  })

  it('a half-open probe that streams settles its permit at the first token; a cut after it leaves no permit behind', async () => {
    const store = new MemoryBreakerStore()
    const key = `${HAIKU}@us-east-1`
    plan({
      'us-east-1': [
        () => new ServiceUnavailableException({ message: 'down', $metadata: {} }),
        () => events([{ messageStart: { role: 'assistant' } }, delta('Hel')]),
      ],
      'us-west-2': [() => events(whole('Hi')), () => events(whole('Hello!'))],
    })
    const handler = middy(async (_event: unknown, context: BreakwaterContext) => {
      const reply = await context.bedrock.converseStream({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] })
      for await (const _e of reply) { /* drain */ }
      return reply.final().served.region
    }).use(breakwater({ routes, degradation: false, breaker: { store, consecutiveFailures: 1, cooldownMs: 100, probeStages: [1, 2] } }))
    expect(await handler(directEvent(), lambdaContext() as BreakwaterContext)).toBe('us-west-2')
    expect((await store.read(key, Date.now())).state).toBe('open')
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(await handler(directEvent(), lambdaContext() as BreakwaterContext)).toBe('us-west-2')
    const record = await store.read(key, Date.now())
    expect(record.state).toBe('half-open')
    expect(record.permits).toEqual([])
  })

  it('bad per-call options are a BreakwaterConfigError naming the field', async () => {
    plan({})
    const { error } = await stream({ idleTimeoutMs: -1 })
    expect(error).toMatchObject({ name: 'BreakwaterConfigError', field: 'idleTimeoutMs' })
  })
})
