/**
 * Composition through a real Middy handler: the preset and the documented order work; a wrong order, a policy
 * without the router, or a doubled middleware fail the invocation with a CompositionError before any Bedrock call.
 */
import { jest } from '@jest/globals'
import {
  BedrockRuntimeClient, ConverseCommand, ServiceUnavailableException, type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime'
import middy, { type MiddlewareObj } from '@middy/core'
import type { Context } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { CompositionError } from '../../src/core/errors.js'
import { backoff } from '../../src/middlewares/backoff.js'
import { breakwater } from '../../src/middlewares/breakwater.js'
import { circuitBreaker } from '../../src/middlewares/circuit-breaker.js'
import { fallback } from '../../src/middlewares/fallback.js'
import { gracefulDegradation } from '../../src/middlewares/graceful-degradation.js'
import { router, type BreakwaterContext } from '../../src/middlewares/router.js'
import type { Invocation } from '../../src/core/engine/invocation.js'
import { STATE_KEY } from '../../src/middlewares/stack.js'
import { directEvent, lambdaContext } from '../support/events.js'

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0'
const routes = { default: [`${HAIKU}@us-east-1`, `${HAIKU}@us-west-2`] }
const ORDER = 'Order: router() → circuitBreaker() → backoff() → fallback() → gracefulDegradation()'

const bedrock = mockClient(BedrockRuntimeClient)
const answer = (text: string): ConverseCommandOutput => ({
  output: { message: { role: 'assistant', content: [{ text }] } }, stopReason: 'end_turn',
  usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6 }, metrics: { latencyMs: 40 }, $metadata: {},
})
const down = (): ServiceUnavailableException =>
  new ServiceUnavailableException({ message: 'Bedrock is unable to process your request', $metadata: {} })

let handlerRuns: number
beforeEach(() => {
  bedrock.reset()
  bedrock.on(ConverseCommand).resolves(answer('hello'))
  handlerRuns = 0
})
afterAll(() => bedrock.restore())

/** The way DESIGN.md shows it: the handler calls context.bedrock.converse and returns the text and where it came from. */
function app(...stack: MiddlewareObj[]) {
  return middy(async (event: { prompt: string }, context: Context) => {
    handlerRuns++
    const reply = await (context as BreakwaterContext).bedrock.converse({ messages: [{ role: 'user', content: [{ text: event.prompt }] }] })
    return { text: reply.text, served: reply.served }
  }).use(stack)
}
const invoke = (handler: ReturnType<typeof app>) => handler(directEvent(), lambdaContext())

/** A middleware that records the roles that ran before it, to see which policies are in force. */
function rolesSeen(into: string[][]): MiddlewareObj {
  return { before: (request) => { into.push([...((request.internal as Record<string, unknown>)[STATE_KEY] as Invocation).roles]) } }
}

describe('orders that work', () => {
  it('the preset serves the call from the first target', async () => {
    const result = await invoke(app(...breakwater({ routes })))
    expect(result).toEqual({
      text: 'hello',
      served: { route: 'default', model: HAIKU, region: 'us-east-1', attempts: 1, degraded: false, degradations: [] },
    })
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(1)
  })

  it('the five middlewares in the documented order are all in force: a down region falls back to the next', async () => {
    bedrock.on(ConverseCommand, { modelId: HAIKU }).callsFake(async (_input, getClient) => {
      if ((await getClient().config.region()) === 'us-east-1') throw down()
      return answer('from the west')
    })
    const roles: string[][] = []
    const handler = app(router({ routes }), circuitBreaker(), backoff(), fallback(), rolesSeen(roles), gracefulDegradation())
    const result = await invoke(handler)
    expect(roles).toEqual([['router', 'circuitBreaker', 'backoff', 'fallback']])
    expect(result.text).toBe('from the west')
    expect(result.served).toMatchObject({ region: 'us-west-2', attempts: 3, degraded: 'fallback-target' })
  })

  it('any subset in order works; without fallback() only the first target is tried', async () => {
    bedrock.on(ConverseCommand).rejects(down())
    const roles: string[][] = []
    const handler = app(router({ routes }), circuitBreaker(), rolesSeen(roles))
    await expect(invoke(handler)).rejects.toMatchObject({ name: 'AllTargetsFailedError', lastClass: 'unavailable' })
    expect(roles).toEqual([['router', 'circuitBreaker']])
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(1)
  })
})

describe('orders that cannot work fail the invocation, before any Bedrock call', () => {
  it.each([
    ['backoff before circuitBreaker', () => [router({ routes }), backoff(), circuitBreaker()],
      `breakwater/circuit-breaker: circuitBreaker() must come before backoff() in .use(). ${ORDER}`],
    ['fallback before backoff', () => [router({ routes }), fallback(), backoff()],
      `breakwater/backoff: backoff() must come before fallback() in .use(). ${ORDER}`],
    ['fallback without router', () => [fallback()],
      `breakwater/fallback: fallback() needs router() before it in .use(): the router chooses the targets it protects. ${ORDER}`],
    ['router after circuitBreaker', () => [circuitBreaker(), router({ routes })],
      `breakwater/circuit-breaker: circuitBreaker() needs router() before it in .use(): the router chooses the targets it protects. ${ORDER}`,
    ],
    ['router used twice', () => [router({ routes }), router({ routes })],
      'breakwater/router: router() must be the first Breakwater middleware and used once; it ran after router()'],
    ['the preset plus another router', () => [...breakwater({ routes, degradation: false }), router({ routes })],
      'breakwater/router: router() must be the first Breakwater middleware and used once; it ran after router(), circuitBreaker(), backoff(), fallback()',
    ],
    ['backoff used twice', () => [router({ routes }), backoff(), backoff()], 'breakwater/backoff: backoff() is used twice'],
  ])('%s', async (_name, stack, message) => {
    const handler = app(...stack())
    for (let i = 0; i < 2; i++) {
      const error = await invoke(handler).then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(CompositionError)
      expect((error as CompositionError).message).toBe(message)
    }
    expect(handlerRuns).toBe(0)
    expect(bedrock.calls()).toHaveLength(0)
  })

  it('with gracefulDegradation in the stack the CompositionError still fails the invocation (a deploy bug must show)', async () => {
    const logger = { error: jest.fn(), warn: jest.fn() }
    const handler = app(router({ routes }), backoff(), circuitBreaker(), gracefulDegradation({ logger }))
    const error = await invoke(handler).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(CompositionError)
    expect(logger.error).toHaveBeenCalledTimes(1)
    expect(logger.error.mock.calls[0]?.[1]).toMatchObject({
      error: { name: 'CompositionError', raisedBy: 'breakwater/circuit-breaker' },
    })
    expect(handlerRuns).toBe(0)
    expect(bedrock.calls()).toHaveLength(0)
  })
})
