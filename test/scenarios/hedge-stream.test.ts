/**
 * Hedged streams on the real wire (fallback({ hedge }) with converseStream): the real SDK's ConverseStream against
 * the fake Bedrock over HTTP/2. A first target whose first token is later than its own p95 time to first token × 1.5
 * gets the same request started in the next region; the first stream to produce a token wins, the other is aborted
 * and counted as a timeout by its breaker. The budget stops a second hedge right after the first.
 */
import { describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import { breakwater, type BreakwaterContext, type BreakwaterOptions } from '../../src/index.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { ask, at, countdown, EAST, regionsOf, until, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

/** One container: one engine, so one first-token tracker and one hedge budget. */
function container(fallback: BreakwaterOptions['fallback'], breaker?: BreakwaterOptions['breaker']) {
  const chat = async (_: unknown, context: BreakwaterContext) => {
    const reply = await context.bedrock.converseStream(ask())
    let text = ''
    for await (const event of reply) text += 'contentBlockDelta' in event ? (event.contentBlockDelta?.delta?.text ?? '') : ''
    return { served: reply.final().served, text }
  }
  const handler = middy(chat).use(breakwater({
    routes: { default: [at(EAST), at(WEST)] }, client: { clientConfig: fakeClientConfig(server) }, fallback, breaker, degradation: false,
  }))
  return async () => {
    const before = server.calls.length
    const { served, text } = await handler({}, countdown(10_000).context as BreakwaterContext)
    const calls = server.calls.slice(before)
    // The loser's abort reaches the server a moment after the winner's answer: wait for each call to have ended.
    await until(() => calls.every((c) => c.outcome !== 'pending'))
    return { served, text, regions: regionsOf(calls), outcomes: calls.map((c) => c.outcome) }
  }
}

/**
 * Twenty quick streams: us-east-1's p95 time to first token (the 19th of 20) leaves out the first one's, which opened
 * the connection, so the hedge starts at its floor (minDelayMs), well before the slow first tokens below. The floor
 * is 700 ms, not the default 200: on a loaded machine a quick stream's first token can take a few hundred ms, and a
 * warm-up call hedged would spend the budget the tests below count on.
 */
const HEDGE = { minDelayMs: 700 }
async function warm(call: () => Promise<{ regions: string[] }>): Promise<void> {
  for (let i = 0; i < 20; i++) expect((await call()).regions).toEqual([EAST])
}

describe('hedged streams', () => {
  it('a late first token is hedged in the next region; the first stream to produce a token wins, the other is aborted', async () => {
    const call = container({ hedge: HEDGE }, { consecutiveFailures: 1 })
    await warm(call)
    server.plan([{ kind: 'slow-first-token', region: EAST, firstTokenDelayMs: 2_000 }])

    const hedged = await call()
    expect(hedged.regions).toEqual([EAST, WEST])
    expect(hedged.served).toMatchObject({ region: WEST })
    expect(hedged.text).toContain('echo: hello')
    expect(hedged.outcomes).toEqual(['aborted', 'ok'])

    // The outrun stream was a timeout to us-east-1's breaker (consecutiveFailures: 1): it is open, us-west-2 serves.
    const next = await call()
    expect(next.regions).toEqual([WEST])
    expect(next.outcomes).toEqual(['ok'])
  })

  it('the budget (5 % extra calls): a second late first token right after a hedge is waited for', async () => {
    // Timeouts do not count against the breaker here, so us-east-1 stays first.
    const call = container({ hedge: HEDGE }, { failureClasses: ['unavailable'] })
    await warm(call)
    server.plan([{ kind: 'slow-first-token', region: EAST, firstTokenDelayMs: 2_000 }])
    expect((await call()).regions).toEqual([EAST, WEST])
    const waited = await call()
    expect(waited.regions).toEqual([EAST])
    expect(waited.served).toMatchObject({ region: EAST })
    expect(waited.outcomes).toEqual(['ok'])
  })

  it('off by default: a late first token is waited for (within the first-token limit)', async () => {
    const call = container(undefined)
    for (let i = 0; i < 6; i++) await call()
    server.plan([{ kind: 'slow-first-token', region: EAST, firstTokenDelayMs: 800 }])
    expect((await call()).regions).toEqual([EAST])
  })
})
