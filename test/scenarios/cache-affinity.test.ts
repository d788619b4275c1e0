/**
 * Prompt-cache affinity on the real wire: after a fallback served a cached prefix in us-west-2, the next request with
 * the same prefix tries us-west-2 first (its cache is warm there); a request without a cache point keeps the route's
 * order, and when us-west-2 fails the route's order serves and the prefix follows it back.
 */
import { describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import { breakwater, type BreakwaterContext, type ConverseInput } from '../../src/index.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { at, countdown, EAST, regionsOf, user, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const SYSTEM = 'You answer questions about the attached 40-page contract. '.repeat(40)
const cached = (question: string): ConverseInput => ({
  system: [{ text: SYSTEM }, { cachePoint: { type: 'default' } }], messages: [user(question)],
})

/** One container: one handler, so one engine, invoked with the input each test gives. */
function container() {
  const routes = { default: [at(EAST), at(WEST)] }
  const chat = async (event: { input: ConverseInput }, context: BreakwaterContext) => (await context.bedrock.converse(event.input)).usage
  const handler = middy(chat)
    .use(breakwater({ routes, client: { clientConfig: fakeClientConfig(server) } }))
  let lastUsage: unknown
  const ask = async (input: ConverseInput) => {
    const before = server.calls.length
    lastUsage = await handler({ input }, countdown(10_000).context as BreakwaterContext)
    return regionsOf(server.calls.slice(before))
  }
  return Object.assign(ask, { usage: () => lastUsage as { cacheReadInputTokens?: number; cacheWriteInputTokens?: number } })
}

describe('prompt-cache affinity', () => {
  it('a prefix a fallback served in us-west-2 goes there first next time; an uncached request keeps the order', async () => {
    const ask = container()
    server.plan([{ kind: 'unavailable', region: EAST, times: 2 }])
    expect(await ask(cached('first question'))).toEqual([EAST, EAST, WEST])
    expect(ask.usage().cacheWriteInputTokens).toBeGreaterThan(0)
    // The fake keeps a prompt cache per model and region: us-west-2 has the prefix, us-east-1 would not.
    expect(await ask(cached('second question'))).toEqual([WEST])
    expect(ask.usage()).toMatchObject({ cacheReadInputTokens: expect.any(Number) })
    expect(await ask({ messages: [user('no cache point')] })).toEqual([EAST])
  })

  it('when the region with the warm cache fails, the route serves and the prefix follows it back', async () => {
    const ask = container()
    server.plan([{ kind: 'unavailable', region: EAST, times: 2 }])
    expect(await ask(cached('first question'))).toEqual([EAST, EAST, WEST])
    server.plan([{ kind: 'unavailable', region: WEST }])
    expect(await ask(cached('second question'))).toEqual([WEST, WEST, EAST])
    expect(await ask(cached('third question'))).toEqual([EAST])
  })
})
