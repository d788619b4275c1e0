/**
 * A 200 is not a success by itself (issue 10, findings 2 and 3), on the real wire: a body that does not parse (broken
 * or truncated JSON, HTML, garbage, a stream reset mid-body) is an upstream failure that walks the cascade and counts
 * against the breaker; a body that parses but holds no answer (`{}`, no message, no content, only empty text) is
 * malformed output: never served, never a breaker success, never cached.
 */
import { describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import { MemoryBreakerStore, breakwater, type BreakerStore, type BreakwaterContext } from '../../src/index.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { httpApiEvent, lambdaContext } from '../support/events.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { at, callsIn, chatHandler, EAST, parseBody, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }
const truncated = '{"output":{"message":{"role":"assistant","content":[{"text":"The answer is'

/** A breaker store that remembers every outcome reported to it, by target. */
function spyStore(): BreakerStore & { outcomes: string[] } {
  const inner = new MemoryBreakerStore()
  const outcomes: string[] = []
  return {
    outcomes,
    read: (key, now) => inner.read(key, now),
    compareAndSet: (key, expected, next) => inner.compareAndSet(key, expected, next),
    recordOutcome: (key, outcome, now, windowMs, since) => {
      outcomes.push(`${key.includes(EAST) ? EAST : WEST}:${outcome}`)
      return inner.recordOutcome(key, outcome, now, windowMs, since)
    },
  }
}

describe('a 200 whose body does not parse', () => {
  const broken: [string, { body: string; cutBody?: boolean }][] = [
    ['truncated JSON', { body: truncated }],
    ['an HTML page', { body: '<html><body>502 Bad Gateway</body></html>' }],
    ['garbage', { body: '\u0000\u0001 garbage' }],
    ['a reset mid-body', { body: truncated, cutBody: true }],
  ]
  it.each(broken)('%s is unavailable: the other region serves, the breaker counts it', async (_name, rule) => {
    server.plan([{ kind: 'bad-body', region: EAST, ...rule }])
    const store = spyStore()
    const chat = chatHandler(server, { routes, breaker: { store } })
    const result = await chat.invoke(httpApiEvent())
    expect(result.statusCode).toBe(200)
    expect(parseBody(result)).toMatchObject({
      text: `echo: hello [${at(WEST)}]`, served: { region: WEST, degraded: 'fallback-target', attempts: 3 },
    })
    // The first broken reply is retried at once (a lone 5xx usually passes); both count against us-east-1.
    expect(store.outcomes).toEqual([`${EAST}:failure`, `${EAST}:failure`, `${WEST}:success`])
  })

  it('every region broken: a graceful 503 with the attempts recorded, never a 500', async () => {
    server.plan([{ kind: 'bad-body', body: '<html>oops</html>' }])
    const chat = chatHandler(server, { routes, backoff: false })
    const result = await chat.invoke(httpApiEvent())
    expect(result.statusCode).toBe(503)
    expect(callsIn(chat.errors[0])).toBe(2)
    expect((chat.errors[0] as { attempts: { outcome: string; errorName?: string }[] }).attempts.map((a) => [a.outcome, a.errorName]))
      .toEqual([['unavailable', 'BrokenResponseError'], ['unavailable', 'BrokenResponseError']])
  })

  it('trips the breaker like a 503: after three, the broken region gets no more calls', async () => {
    server.plan([{ kind: 'bad-body', region: EAST, body: truncated }])
    const chat = chatHandler(server, { routes, breaker: { consecutiveFailures: 3 } })
    for (let i = 0; i < 5; i++) expect((await chat.invoke(httpApiEvent())).statusCode).toBe(200)
    expect(server.callsTo({ region: EAST })).toBe(3)
  })
})

describe('a 200 that parses but holds no answer', () => {
  const empty: [string, string][] = [
    ['{}', '{}'],
    ['an empty body', ''],
    ['no message', '{"output":{},"stopReason":"end_turn"}'],
    ['no content', '{"output":{"message":{"role":"assistant","content":[]}}}'],
    ['only empty text', '{"output":{"message":{"role":"assistant","content":[{"text":"  "}]}}}'],
  ]
  it.each(empty)('%s is malformed output: the other region serves; not a breaker success', async (_name, body) => {
    server.plan([{ kind: 'bad-body', region: EAST, body }])
    const store = spyStore()
    const chat = chatHandler(server, { routes, breaker: { store }, fallback: { malformedRetries: 0 } })
    const result = await chat.invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({ text: `echo: hello [${at(WEST)}]`, served: { region: WEST } })
    expect(store.outcomes).toEqual([`${WEST}:success`])
  })

  it('with the default malformedRetries it is not re-asked with format instructions: the next target is asked as is', async () => {
    server.plan([{ kind: 'bad-body', region: EAST, body: '{}' }])
    const chat = chatHandler(server, { routes })
    expect(parseBody(await chat.invoke(httpApiEvent()))).toMatchObject({ served: { region: WEST, attempts: 2 } })
    expect(server.callsTo({ region: EAST })).toBe(1)
    expect(JSON.stringify(server.calls[1]?.body)).not.toContain('rejected')
  })

  it('is never cached: a later outage does not replay an empty answer', async () => {
    const chat = chatHandler(server, { routes: { default: [at(EAST)] }, fallback: { cache: true, malformedRetries: 0 } })
    server.plan([{ kind: 'bad-body', body: '{}' }])
    const first = await chat.invoke(httpApiEvent())
    expect(first.statusCode).toBe(503)
    expect(chat.errors[0]).toMatchObject({ name: 'AllTargetsFailedError', lastClass: 'malformed-output' })
    server.plan([{ kind: 'unavailable' }])
    expect((await chat.invoke(httpApiEvent())).statusCode).toBe(503)
  })

  it('a tool call without text is an answer', async () => {
    const toolUse = { toolUseId: 't1', name: 'lookup', input: {} }
    const body = JSON.stringify({ output: { message: { role: 'assistant', content: [{ toolUse }] } }, stopReason: 'tool_use' })
    server.plan([{ kind: 'bad-body', body }])
    const chat = chatHandler(server, { routes })
    const result = await chat.invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({ text: '', served: { region: EAST, degraded: false } })
  })
})

describe('invokeModel', () => {
  const handler = (route: string[]) => middy(async (_event: unknown, context: BreakwaterContext) => {
    const reply = await context.bedrock.invokeModel({ body: JSON.stringify({ prompt: 'hi' }), contentType: 'application/json' })
    return { statusCode: 200, body: JSON.stringify({ region: reply.served.region }) }
  }).use(breakwater({ routes: { default: route }, client: { clientConfig: fakeClientConfig(server) } }))

  it('a JSON body that does not parse (cut mid-body) moves to the other region', async () => {
    server.plan([{ kind: 'bad-body', region: EAST, body: '{"completion": "half', cutBody: true, operation: 'invoke' }])
    const invoke = handler([at(EAST), at(WEST)])
    const result = await invoke(httpApiEvent(), lambdaContext() as BreakwaterContext) as { statusCode: number; body: string }
    expect(result.statusCode).toBe(200)
    expect(JSON.parse(result.body)).toEqual({ region: WEST })
  })

  it('an empty body is not served', async () => {
    server.plan([{ kind: 'bad-body', body: '', operation: 'invoke' }])
    const result = await handler([at(EAST)])(httpApiEvent(), lambdaContext() as BreakwaterContext) as { statusCode: number }
    expect(result.statusCode).toBe(503)
  })
})
