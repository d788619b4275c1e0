/**
 * Scenario 9: Middy's own early timeout. The handler passes Middy's signal (its 3rd argument) to converse(); when
 * Middy gives up at `remaining − timeoutEarlyInMillis`, the cascade stops with it — the call in flight is aborted, a
 * backoff sleep is cut short, and no further call is made after the caller already got its 503.
 */
import { describe, expect, it } from '@jest/globals'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { at, chatHandler, countdown, EAST, parseBody, pause, regionsOf, until, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }
const BUSY = 'The assistant is busy right now. Please try again in a moment.'

describe("Middy's timeout signal", () => {
  it('aborts the call in flight; the next region is never tried', async () => {
    server.plan([{ kind: 'hang', region: EAST }])
    // 1 000 ms left, Middy answers at 1 000 − 700 = 300 ms; our own attempt timeout (the deadline less the 300 ms
    // reserve) would be at 700 ms, and us-west-2 would be tried then.
    const chat = chatHandler(server, { routes, backoff: { minAttemptMs: 100 } }, { timeoutEarlyInMillis: 700 })
    const { context } = countdown(1_000, 'middy-timeout-1')
    const started = Date.now()
    const result = await chat.invoke(httpApiEvent(), context)

    expect(result.statusCode).toBe(503)
    expect(result.headers?.['retry-after']).toBe('5')
    expect(parseBody(result)).toEqual({ message: BUSY, retryAfterSeconds: 5, requestId: 'middy-timeout-1' })
    expect(Date.now() - started).toBeLessThan(700)
    await until(() => server.calls[0]?.endedAt !== undefined)
    expect(server.calls[0]?.outcome).toBe('aborted')
    // Past the point where the attempt timeout would have moved on to us-west-2: still one call.
    await pause(700)
    expect(regionsOf(server.calls)).toEqual([EAST])
    expect(chat.errors).toHaveLength(1)
    expect(chat.errors[0]).toMatchObject({ name: 'AbortError' })
  })

  it('cuts a backoff sleep short: the retry it was waiting for is never made', async () => {
    server.plan([{ kind: 'throttle', region: EAST }])
    // A 600 ms throttle backoff; Middy answers at 2 000 − 1 700 = 300 ms, in the middle of it.
    const chat = chatHandler(server, { routes, backoff: { throttleBaseMs: 600 }, random: () => 0.999 }, { timeoutEarlyInMillis: 1_700 })
    const result = await chat.invoke(httpApiEvent(), countdown(2_000).context)

    expect(result.statusCode).toBe(503)
    await pause(700)
    expect(regionsOf(server.calls)).toEqual([EAST])
    expect(chat.errors).toEqual([expect.objectContaining({ name: 'AbortError' })])
  })

  it("control: without Middy's signal the cascade runs on after the caller got its 503", async () => {
    server.plan([{ kind: 'throttle', region: EAST }])
    const chat = chatHandler(
      server,
      { routes, backoff: { throttleBaseMs: 600 }, random: () => 0.999 },
      { timeoutEarlyInMillis: 1_700, useSignal: false },
    )
    const result = await chat.invoke(httpApiEvent(), countdown(2_000).context)

    expect(result.statusCode).toBe(503)
    expect(server.callsTo()).toBe(1)
    // The orphaned cascade retries us-east-1 after its ~600 ms wait, behind the caller's back.
    await until(() => chat.served.length + chat.errors.length > 0, 3_000)
    expect(server.callsTo({ region: EAST })).toBeGreaterThan(1)
  })
})
