/**
 * Hedged requests on the real wire (fallback({ hedge })): a first target slower than its own p95 × 1.5 gets the same
 * request started in the next region; the first good answer wins and the slow call is aborted, at no cost to its
 * breaker. The budget (5 % extra calls) stops a second hedge right after the first.
 */
import { describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import { breakwater, type BreakwaterContext, type BreakwaterOptions } from '../../src/index.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { ask, at, countdown, EAST, regionsOf, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

/** One container: one engine, so one latency tracker and one hedge budget. */
function container(fallback: BreakwaterOptions['fallback']) {
  const chat = async (_: unknown, context: BreakwaterContext) => (await context.bedrock.converse(ask())).served
  const handler = middy(chat).use(breakwater({
    routes: { default: [at(EAST), at(WEST)] }, client: { clientConfig: fakeClientConfig(server) }, fallback,
  }))
  return async () => {
    const before = server.calls.length
    const served = await handler({}, countdown(10_000).context as BreakwaterContext)
    const calls = server.calls.slice(before)
    return { served, regions: regionsOf(calls), outcomes: calls.map((c) => c.outcome) }
  }
}

describe('hedged requests', () => {
  it('a slow first target is hedged in the next region after p95 × 1.5; the first answer wins, once per budget', async () => {
    const call = container({ hedge: true })
    for (let i = 0; i < 6; i++) expect((await call()).regions).toEqual([EAST])
    server.plan([{ kind: 'delay', region: EAST, delayMs: 1_500 }])

    const hedged = await call()
    expect(hedged.regions).toEqual([EAST, WEST])
    expect(hedged.served).toMatchObject({ region: WEST })
    // us-west-2's answer came back while the slow call had not answered (it is aborted, not waited for).
    expect(hedged.outcomes[0]).not.toBe('ok')
    expect(hedged.outcomes[1]).toBe('ok')

    // The budget earns 5 % of a hedge per call: none left now, so the next slow call waits for us-east-1.
    const waited = await call()
    expect(waited.regions).toEqual([EAST])
    expect(waited.served).toMatchObject({ region: EAST })
    expect(waited.outcomes).toEqual(['ok'])
  })

  it('off by default: a slow first target is waited for', async () => {
    const call = container(undefined)
    for (let i = 0; i < 6; i++) await call()
    server.plan([{ kind: 'delay', region: EAST, delayMs: 800 }])
    expect((await call()).regions).toEqual([EAST])
  })

  it('no hedge before the first target has a p95 (fewer than 5 fresh samples)', async () => {
    const call = container({ hedge: true })
    server.plan([{ kind: 'delay', region: EAST, delayMs: 800 }])
    expect((await call()).regions).toEqual([EAST])
  })
})
