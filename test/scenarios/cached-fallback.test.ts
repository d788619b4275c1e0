/**
 * The cached-response fallback (`fallback({ cache })`) through a real Middy handler and the fake Bedrock: a good reply
 * is kept; when every target later fails, the same request gets that reply with `served.degraded: 'cached'`. A
 * caller fault, a lesser (shortened) reply or an expired entry is never served from it (which requests share a key:
 * test/middlewares/reply-cache.test.ts).
 */
import { describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import { breakwater, type BreakwaterContext, type BreakwaterOptions, type JsonSchema } from '../../src/index.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { httpApiEvent, lambdaContext } from '../support/events.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { FakeClock } from '../support/fake-clock.js'
import { ask, at, chatHandler, EAST, HAIKU, history, parseBody, WEST, type ChatResult } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }
const options = { routes, backoff: { baseMs: 1 }, fallback: { cache: { maxEntries: 10, ttlMs: 60_000 } } } as const

describe('cached-response fallback', () => {
  it('a good reply, then everything down → the same text, served from the cache with degraded "cached"', async () => {
    const chat = chatHandler(server, options)
    const first = await chat.invoke(httpApiEvent())
    expect(parseBody(first)).toEqual({ text: `echo: hello [${HAIKU}@${EAST}]`, served: expect.objectContaining({ degraded: false }) })

    server.plan([{ kind: 'unavailable' }])
    const calls = server.callsTo()
    const second = await chat.invoke(httpApiEvent())
    expect(second.statusCode).toBe(200)
    expect(parseBody(second)).toEqual({
      text: `echo: hello [${HAIKU}@${EAST}]`,
      served: {
        route: 'default', model: HAIKU, region: EAST, attempts: server.callsTo() - calls, degraded: 'cached', degradations: ['cached'],
      },
    })
    expect(server.callsTo() - calls).toBeGreaterThanOrEqual(2) // the cascade really was walked first
  })

  it('a reply served by the second target is cached too', async () => {
    const chat = chatHandler(server, options)
    server.plan([{ kind: 'unavailable', region: EAST }])
    expect(parseBody(await chat.invoke(httpApiEvent()))).toMatchObject({ served: { region: WEST, degraded: 'fallback-target' } })
    server.plan([{ kind: 'unavailable' }])
    expect(parseBody(await chat.invoke(httpApiEvent())))
      .toMatchObject({ text: `echo: hello [${HAIKU}@${WEST}]`, served: { region: WEST, degraded: 'cached' } })
  })

  it('a caller fault is never answered from the cache', async () => {
    const chat = chatHandler(server, options)
    await chat.invoke(httpApiEvent())
    server.plan([{ kind: 'validation' }])
    expect((await chat.invoke(httpApiEvent())).statusCode).toBe(400)
    server.plan([{ kind: 'access-denied' }])
    expect((await chat.invoke(httpApiEvent())).statusCode).toBe(403)
  })

  it('without fallback.cache nothing is cached: everything down → 503', async () => {
    const chat = chatHandler(server, { routes, backoff: { baseMs: 1 } })
    await chat.invoke(httpApiEvent())
    server.plan([{ kind: 'unavailable' }])
    expect((await chat.invoke(httpApiEvent())).statusCode).toBe(503)
  })

  it('a reply made on a shortened history is not kept as the answer', async () => {
    const chat = chatHandler(server, options, { input: { messages: history(5) } })
    server.plan([{ kind: 'context-overflow', times: 1 }])
    expect(parseBody(await chat.invoke(httpApiEvent()))).toMatchObject({ served: { degraded: 'truncated-context' } })
    server.plan([{ kind: 'unavailable' }])
    expect((await chat.invoke(httpApiEvent())).statusCode).toBe(503)
  })

  it('an entry older than ttlMs is not served (injected clock)', async () => {
    const clock = new FakeClock(1_000_000)
    const chat = chatHandler(server, { ...options, clock, backoff: false, fallback: { cache: { ttlMs: 10_000 } } })
    await chat.invoke(httpApiEvent())
    server.plan([{ kind: 'unavailable' }])
    await clock.advance(9_999)
    expect((await chat.invoke(httpApiEvent())).statusCode).toBe(200)
    await clock.advance(1)
    expect((await chat.invoke(httpApiEvent())).statusCode).toBe(503)
  })

  it('a structured reply comes back from the cache with its json; the handler mutating its reply does not touch the cache', async () => {
    const schema: JsonSchema = { type: 'object', required: ['n'] }
    server.replyWith(() => '{"n": 1}')
    const breakwaterOptions: BreakwaterOptions = { ...options, client: { clientConfig: fakeClientConfig(server) } }
    const handler = middy(async (_event: unknown, context: BreakwaterContext) => {
      const reply = await context.bedrock.converse<{ n: number }>(ask('count'), { responseSchema: schema })
      const body = JSON.stringify({ json: reply.json, served: reply.served })
      ;(reply.json as { n: number }).n = 99
      return { statusCode: 200, body }
    }).use(breakwater(breakwaterOptions))
    const invoke = async (): Promise<ChatResult> => (await handler(httpApiEvent(), lambdaContext() as BreakwaterContext)) as ChatResult

    expect(parseBody(await invoke())).toMatchObject({ json: { n: 1 }, served: { degraded: false } })
    server.plan([{ kind: 'unavailable' }])
    expect(parseBody(await invoke())).toMatchObject({ json: { n: 1 }, served: { degraded: 'cached' } })
    expect(parseBody(await invoke())).toMatchObject({ json: { n: 1 }, served: { degraded: 'cached' } })
  })
})
