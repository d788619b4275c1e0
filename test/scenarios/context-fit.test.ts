/**
 * Context fitted before the call (fallback/context-fit.ts): a request that cannot fit a target's context window is
 * shortened before it is sent, not after Bedrock's 400; one that cannot get short enough skips that model; and
 * after a timeout the next attempt sheds history as well as output tokens.
 */
import { describe, expect, it } from '@jest/globals'
import type { Message } from '@aws-sdk/client-bedrock-runtime'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { assistant, chatHandler, EAST, HAIKU, history, messagesSent, parseBody, regionsOf, user, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const NOVA = 'amazon.nova-micro-v1:0'
/** 9 turns of 1 000 characters (~250 tokens each), user first and last. */
const longHistory = (): Message[] => Array.from({ length: 9 }, (_, i) => (i % 2 === 0 ? user : assistant)(`turn ${i} ${'x'.repeat(992)}`))
const input = (messages: Message[]) => ({ messages, inferenceConfig: { maxTokens: 100 } })

describe('context fitted before the call', () => {
  it('shortens a history that cannot fit the window before sending it: one call, truncated-context', async () => {
    const routes = { default: [{ model: HAIKU, region: EAST, contextWindow: 1_200 }] }
    const chat = chatHandler(server, { routes }, { input: input(longHistory()) })
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(200)
    expect(parseBody(result)).toMatchObject({ served: { region: EAST, attempts: 1, degraded: 'truncated-context' } })
    // ~2 250 + 100 tokens → half (the newest 4, moved to open with the user: 3) → ~850: it fits, and nothing overflowed.
    expect(server.calls.map((c) => messagesSent(c).length)).toEqual([3])
    expect(messagesSent(server.calls[0] as never)[0]?.role).toBe('user')
  })

  it('a prompt that cannot fit a model even shortened skips it in every region; a model with room serves', async () => {
    const small = { model: HAIKU, contextWindow: 1_000 }
    const routes = { default: [{ ...small, region: EAST }, { ...small, region: WEST }, { model: NOVA, region: EAST }] }
    const chat = chatHandler(server, { routes }, { input: input([user('y'.repeat(8_000))]) })
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(200)
    expect(server.calls.map((c) => c.model)).toEqual([NOVA])
    expect(parseBody(result)).toMatchObject({ served: { model: NOVA, degraded: 'fallback-target' } })
  })

  it('nothing fits any model left: 413 without a call', async () => {
    const routes = { default: [{ model: HAIKU, region: EAST, contextWindow: 1_000 }] }
    const chat = chatHandler(server, { routes }, { input: input([user('y'.repeat(8_000))]) })
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(413)
    expect(server.calls).toHaveLength(0)
  })

  it('without a window it knows, nothing is shortened before the call', async () => {
    const routes = { default: [{ model: 'vendor.unknown-model-v1:0', region: EAST }] }
    const chat = chatHandler(server, { routes }, { input: input(history(9)) })
    await chat.invoke(httpApiEvent())
    expect(server.calls.map((c) => messagesSent(c).length)).toEqual([9])
  })

  it('after a timeout the next attempt sheds half the history as well as output tokens', async () => {
    server.plan([{ kind: 'hang', region: EAST }])
    const routes = { default: [`${HAIKU}@${EAST}`, `${HAIKU}@${WEST}`] }
    const chat = chatHandler(server, { routes, backoff: { attemptTimeoutMs: 200 } }, { input: input(history(9)) })
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(200)
    expect(regionsOf(server.calls)).toEqual([EAST, WEST])
    expect(server.calls.map((c) => messagesSent(c).length)).toEqual([9, 3])
    expect(parseBody(result)).toMatchObject({
      served: { region: WEST, degradations: expect.arrayContaining(['truncated-context', 'reduced-max-tokens']) },
    })
  })

  it('timeoutShedsHistory: false keeps the history after a timeout', async () => {
    server.plan([{ kind: 'hang', region: EAST }])
    const routes = { default: [`${HAIKU}@${EAST}`, `${HAIKU}@${WEST}`] }
    const options = { routes, backoff: { attemptTimeoutMs: 200 }, fallback: { timeoutShedsHistory: false } }
    const chat = chatHandler(server, options, { input: input(history(9)) })
    await chat.invoke(httpApiEvent())
    expect(server.calls.map((c) => messagesSent(c).length)).toEqual([9, 9])
  })
})
