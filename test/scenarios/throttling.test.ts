/**
 * Scenario 2: a burst of 429s. The same target is retried after a full-jitter backoff (the waits really happen,
 * the calls on the server are spaced by them) and then serves; nothing moves to another region.
 */
import { describe, expect, it } from '@jest/globals'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { at, chatHandler, EAST, parseBody, regionsOf, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }
/** Full jitter draws uniform in [0, base·2^n]: a random of 0.99 makes the waits ~20 ms then ~40 ms. */
const options = { routes, backoff: { throttleBaseMs: 20, baseMs: 10 }, random: () => 0.99 }

describe('429 bursts', () => {
  it.each<[string, 'throttle' | 'model-not-ready']>([
    ['ThrottlingException', 'throttle'],
    ['ModelNotReadyException', 'model-not-ready'],
  ])('two %s then success: backoff, 3 attempts on the same target', async (errorType, kind) => {
    server.plan([{ kind, region: EAST, times: 2 }])
    const chat = chatHandler(server, options)
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(200)
    expect(parseBody(result)).toMatchObject({ served: { region: EAST, attempts: 3, degraded: false } })
    expect(regionsOf(server.calls)).toEqual([EAST, EAST, EAST])
    expect(server.calls.map((c) => c.errorType)).toEqual([errorType, errorType, undefined])
    const [first, second, third] = server.calls.map((c) => c.startedAt) as [number, number, number]
    // Waits of 0.99·20 and 0.99·40 ms; a ms of slack for Date.now() rounding.
    expect(second - first).toBeGreaterThanOrEqual(19 - 1)
    expect(third - second).toBeGreaterThanOrEqual(39 - 1)
  })

  it('a throttle that outlasts maxAttempts moves to the next region after 3 tries', async () => {
    server.plan([{ kind: 'throttle', region: EAST }])
    const chat = chatHandler(server, options)
    const result = await chat.invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({ served: { region: WEST, attempts: 4, degraded: 'fallback-target' } })
    expect(regionsOf(server.calls)).toEqual([EAST, EAST, EAST, WEST])
  })

  it('a Retry-After from the server is waited out (it is longer than our own backoff)', async () => {
    server.plan([{ kind: 'throttle', region: EAST, times: 1, retryAfterSeconds: 0.3 }])
    const chat = chatHandler(server, options)
    const result = await chat.invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({ served: { region: EAST, attempts: 2 } })
    const [first, second] = server.calls.map((c) => c.startedAt) as [number, number]
    expect(second - first).toBeGreaterThanOrEqual(300 - 1)
  })

  it('a Retry-After longer than capMs is not waited: the next region serves at once', async () => {
    server.plan([{ kind: 'throttle', region: EAST, retryAfterSeconds: 30 }])
    const chat = chatHandler(server, { ...options, backoff: { ...options.backoff, capMs: 2_000 } })
    const result = await chat.invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({ served: { region: WEST, attempts: 2, degraded: 'fallback-target' } })
    expect(regionsOf(server.calls)).toEqual([EAST, WEST])
  })
})
