/**
 * Scenario 6: little Lambda time left and a long backoff. No sleep runs past the deadline: the handler answers
 * before the context's deadline, and the server sees no call start after deadline − reserve.
 */
import { describe, expect, it } from '@jest/globals'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { at, chatHandler, countdown, EAST, parseBody, regionsOf, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const RESERVE_MS = 300
/** Throttle backoff ceilings 2 000 ms then 4 000 (capped at 2 000); `random` picks the share of it that is waited. */
const backoff = { throttleBaseMs: 2_000, capMs: 2_000, minAttemptMs: 200, reserveMs: RESERVE_MS }

describe('1.5 s left, a backoff of about a second', () => {
  it('a wait that does not fit (1.1 s + 200 ms min attempt > ~1.2 s usable) is not started: 503 at once', async () => {
    server.plan([{ kind: 'throttle', region: EAST }])
    const chat = chatHandler(server, { routes: { default: [at(EAST)] }, backoff, random: () => 0.55 })
    const { context, deadlineAt } = countdown(1_500)
    const result = await chat.invoke(httpApiEvent(), context)
    const returnedAt = Date.now()

    expect(result.statusCode).toBe(503)
    expect(returnedAt).toBeLessThan(deadlineAt - RESERVE_MS)
    expect(regionsOf(server.calls)).toEqual([EAST])
    // No 1.1 s sleep happened: it answered long before the wait would have ended.
    expect(returnedAt - (server.calls[0]?.startedAt ?? 0)).toBeLessThan(1_000)
  })

  it('a wait that fits (800 ms) is slept; the retry starts before deadline − reserve; the next wait does not fit', async () => {
    server.plan([{ kind: 'throttle', region: EAST }])
    const chat = chatHandler(server, { routes: { default: [at(EAST)] }, backoff, random: () => 0.4 })
    const { context, deadlineAt } = countdown(1_500)
    const result = await chat.invoke(httpApiEvent(), context)
    const returnedAt = Date.now()

    expect(result.statusCode).toBe(503)
    expect(returnedAt).toBeLessThan(deadlineAt)
    expect(regionsOf(server.calls)).toEqual([EAST, EAST])
    const [first, second] = server.calls.map((c) => c.startedAt) as [number, number]
    expect(second - first).toBeGreaterThanOrEqual(800 - 1)
    for (const call of server.calls) expect(call.startedAt).toBeLessThanOrEqual(deadlineAt - RESERVE_MS)
    // The second wait (0.4 · 2 000 cap = 800 ms, over the ~380 ms left) was never started.
    expect(returnedAt - second).toBeLessThan(700)
  })

  it('with a healthy second region, a wait that does not fit moves on to it at once: served before the deadline', async () => {
    server.plan([{ kind: 'throttle', region: EAST }])
    const chat = chatHandler(server, { routes: { default: [at(EAST), at(WEST)] }, backoff, random: () => 0.55 })
    const { context, deadlineAt } = countdown(1_500)
    const result = await chat.invoke(httpApiEvent(), context)

    expect(Date.now()).toBeLessThan(deadlineAt - RESERVE_MS)
    // "Backoff while time allows, then the next target": the skipped wait does not end the whole route.
    expect(result.statusCode).toBe(200)
    expect(parseBody(result)).toMatchObject({ served: { region: WEST, attempts: 2, degraded: 'fallback-target' } })
    expect(regionsOf(server.calls)).toEqual([EAST, WEST])
    for (const call of server.calls) expect(call.startedAt).toBeLessThanOrEqual(deadlineAt - RESERVE_MS)
  })
})
