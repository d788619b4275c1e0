/**
 * A target with a declared quota, on the real wire: the fake Bedrock enforces the same requests and tokens per minute
 * (token buckets charging input + maxTokens at admission and refunding the rest, as Bedrock does). With the quota
 * declared, calls the minute has no room for are never sent to us-east-1: they spill to us-west-2 at once, with
 * zero 429s. Without it, us-east-1 is called until it throttles, and the adaptive throttle learns from the 429s.
 *
 * The engine's clock is the wall clock shifted so that its minute starts with the test: the book counts calendar
 * minutes while the fake's buckets refill continuously, and the two agree within a minute (docs/quotas.md).
 */
import { describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import { breakwater } from '../../src/middlewares/breakwater.js'
import type { BreakwaterContext } from '../../src/middlewares/stack.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { directEvent, lambdaContext } from '../support/events.js'
import { systemClock, type Clock } from '../../src/core/clock.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { ask, at, chatHandler, EAST, HAIKU, parseBody, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const QUOTA = { requestsPerMinute: 10, tokensPerMinute: 100_000 }
/** Each request reserves about 1 000 tokens at admission (a short prompt + maxTokens 1 000); the reply refunds most. */
const input = { ...ask('what is the weather like?'), inferenceConfig: { maxTokens: 1_000 } }

/** The wall clock, read as if the current minute started now. */
function minuteAligned(): Clock {
  const offset = Date.now() % 60_000
  return { now: () => Date.now() - offset, sleep: systemClock.sleep }
}

async function run(declared: boolean): Promise<{ east: number; west: number; throttled: number; calls: number }> {
  server.reset()
  server.quotas([{ model: HAIKU, region: EAST, ...QUOTA }])
  const east = declared ? { model: HAIKU, region: EAST, quota: QUOTA } : at(EAST)
  const options = { routes: { default: [east, at(WEST)] }, clock: minuteAligned(), backoff: { throttleBaseMs: 1 } }
  const chat = chatHandler(server, options, { input })
  const regions: string[] = []
  for (let i = 0; i < 30; i++) {
    const result = await chat.invoke(httpApiEvent())
    expect(result.statusCode).toBe(200)
    regions.push((parseBody(result) as { served: { region: string } }).served.region)
  }
  return {
    east: regions.filter((r) => r === EAST).length,
    west: regions.filter((r) => r === WEST).length,
    throttled: server.calls.filter((c) => c.status === 429).length,
    calls: server.calls.length,
  }
}

describe('a target with a declared quota', () => {
  it('spills what its minute has no room for to the next target before sending it: zero 429s', async () => {
    const declared = await run(true)
    // Every call us-east-1 was sent, it served; the rest went straight to us-west-2.
    expect(declared).toEqual({ east: 10, west: 20, throttled: 0, calls: 30 })
  })

  it('tokens too: 12 calls at once, each reserving ~1 000 of 5 000 tokens a minute: 4 go to us-east-1, none is throttled', async () => {
    server.reset()
    const quota = { tokensPerMinute: 5_000 }
    server.quotas([{ model: HAIKU, region: EAST, ...quota }])
    const routes = { default: [{ model: HAIKU, region: EAST, quota }, at(WEST)] }
    const chat = chatHandler(server, { routes, clock: minuteAligned() }, { input })
    const results = await Promise.all(Array.from({ length: 12 }, () => chat.invoke(httpApiEvent())))
    expect(results.every((r) => r.statusCode === 200)).toBe(true)
    expect(server.calls.filter((c) => c.status === 429)).toHaveLength(0)
    expect(server.callsTo({ region: EAST })).toBe(4)
    expect(server.callsTo({ region: WEST })).toBe(8)
  })

  it('undeclared, the same demand costs 429s and extra calls', async () => {
    const undeclared = await run(false)
    // Measured: 57 calls, 27 of them 429s, for the same 30 requests (declared: 30 calls, none throttled).
    expect(undeclared.throttled).toBeGreaterThan(0)
    expect(undeclared.calls).toBeGreaterThan(30)
    expect(undeclared.east).toBeLessThanOrEqual(11) // the fake's bucket refills 1 request in 6 s: the test takes ~1 s
  })

  it('a stream keeps its charge while it runs and refunds what its metadata says it did not use', async () => {
    server.reset()
    const quota = { tokensPerMinute: 5_000 }
    server.quotas([{ model: HAIKU, region: EAST, ...quota }])
    const handler = middy(async (_event: unknown, context: BreakwaterContext) => {
      const reply = await context.bedrock.converseStream(input)
      for await (const _e of reply) { /* drained */ }
      return reply.final().served.region
    }).use(breakwater({
      routes: { default: [{ model: HAIKU, region: EAST, quota }, at(WEST)] }, clock: minuteAligned(),
      client: { clientConfig: fakeClientConfig(server) }, degradation: false,
    }))
    const regions: string[] = []
    // One after another, each reserving ~1 000 of the 5 000 and using a few dozen: the refunds leave room for all.
    for (let i = 0; i < 12; i++) regions.push(await handler(directEvent(), lambdaContext() as BreakwaterContext))
    expect(regions.filter((r) => r === EAST)).toHaveLength(12)
    expect(server.calls.filter((c) => c.status === 429)).toHaveLength(0)
  })
})
