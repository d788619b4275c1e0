/**
 * Scenario 4: the prompt overflows the model's context. A long history is halved (newest turns kept, still
 * opening with a user turn) and the same target is retried; a single prompt that is too long on its own gets 413.
 */
import { describe, expect, it } from '@jest/globals'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { at, chatHandler, EAST, history, messagesSent, parseBody, regionsOf, user, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }

describe('context overflow', () => {
  it('a long history is truncated and the same target serves: 200, truncated-context', async () => {
    server.plan([{ kind: 'context-overflow', whenLongerThan: { messages: 4 } }])
    const chat = chatHandler(server, { routes }, { input: { messages: history(9) } })
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(200)
    expect(parseBody(result)).toMatchObject({
      text: `echo: question 8 [${at(EAST)}]`,
      served: { region: EAST, attempts: 2, degraded: 'truncated-context', degradations: ['truncated-context'] },
    })
    expect(regionsOf(server.calls)).toEqual([EAST, EAST])
    const [first, second] = server.calls.map(messagesSent)
    expect(first).toHaveLength(9)
    // Half of 9 = the newest 4 (assistant-first), moved forward to open with the user: the newest 3.
    expect(second).toEqual(history(9).slice(6))
    expect(second?.[0]?.role).toBe('user')
    expect(second?.length).toBeLessThan(first?.length ?? 0)
  })

  it('halves again while it still overflows, without using up retries or the breaker', async () => {
    server.plan([{ kind: 'context-overflow', whenLongerThan: { messages: 2 } }])
    const chat = chatHandler(server, { routes, breaker: { consecutiveFailures: 1 } }, { input: { messages: history(13) } })
    const result = await chat.invoke(httpApiEvent())

    expect(parseBody(result)).toMatchObject({ served: { region: EAST, attempts: 3, degraded: 'truncated-context' } })
    expect(server.calls.map((c) => messagesSent(c).length)).toEqual([13, 5, 1])
    expect(server.calls.every((c) => messagesSent(c)[0]?.role === 'user')).toBe(true)
    // Two overflows did not open us-east-1 (consecutiveFailures: 1 would have).
    await chat.invoke(httpApiEvent())
    expect(regionsOf(server.calls).at(-1)).toBe(EAST)
  })

  it('a single prompt too long on its own → 413, one call, no other region tried', async () => {
    server.plan([{ kind: 'context-overflow', whenLongerThan: { chars: 10_000 } }])
    const chat = chatHandler(server, { routes }, { input: { messages: [user('x'.repeat(20_000))] } })
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(413)
    expect(result.headers).toEqual({ 'content-type': 'application/json' })
    expect(parseBody(result)).toEqual({
      message: 'the prompt is too long for the model, even after shortening the history', requestId: expect.any(String),
    })
    expect(regionsOf(server.calls)).toEqual([EAST])
  })
})
