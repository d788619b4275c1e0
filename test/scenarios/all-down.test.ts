/**
 * Scenario 3: every target is down. API Gateway gets a polite 503 with Retry-After and a JSON body, well before the
 * Lambda deadline (a real 3 s countdown); once the breakers are open, the 503 costs no upstream call at all.
 */
import { describe, expect, it } from '@jest/globals'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent, restEvent } from '../support/events.js'
import { at, chatHandler, countdown, EAST, HAIKU, parseBody, regionsOf, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }
const REQUEST_ID = 'all-down-0001'
const BUSY = 'The assistant is busy right now. Please try again in a moment.'

describe('everything down', () => {
  it('HTTP API → 503, retry-after, { message, retryAfterSeconds, requestId }, back well before the deadline', async () => {
    server.plan([{ kind: 'unavailable' }])
    const chat = chatHandler(server, { routes, backoff: { baseMs: 10 } })
    const { context, deadlineAt } = countdown(3_000, REQUEST_ID)
    const result = await chat.invoke(httpApiEvent(), context)
    const returnedAt = Date.now()

    expect(result).toEqual({
      statusCode: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '5' },
      body: JSON.stringify({ message: BUSY, retryAfterSeconds: 5, requestId: REQUEST_ID }),
    })
    // Behavioural bound, not a benchmark: it answered with most of the 3 s still left (reserve 300 ms included).
    expect(returnedAt).toBeLessThan(deadlineAt - 1_000)
    // us-east-1 twice (a first 503 is retried at once, then the next region), us-west-2 up to maxAttempts as the last target.
    expect(regionsOf(server.calls)).toEqual([EAST, EAST, WEST, WEST, WEST])
    expect(chat.errors).toHaveLength(1)
  })

  it('with nothing known about recovery, the reply carries the configured degradation.retryAfterSeconds', async () => {
    server.plan([{ kind: 'unavailable' }])
    const chat = chatHandler(server, { routes, backoff: { baseMs: 10 }, degradation: { retryAfterSeconds: 9 } })
    const result = await chat.invoke(httpApiEvent())
    expect(result.headers).toMatchObject({ 'retry-after': '9' })
    expect(parseBody(result)).toMatchObject({ retryAfterSeconds: 9 })
  })

  it('the servers\' Retry-After becomes the reply\'s (the soonest); a wait past the deadline is not started', async () => {
    server.plan([{ kind: 'unavailable', region: EAST, retryAfterSeconds: 9 }, { kind: 'throttle', region: WEST, retryAfterSeconds: 7 }])
    const chat = chatHandler(server, { routes })
    const { context, deadlineAt } = countdown(3_000, REQUEST_ID)
    const result = await chat.invoke(restEvent(), context)

    expect(result.statusCode).toBe(503)
    expect(result.headers).toEqual({ 'content-type': 'application/json', 'retry-after': '7' })
    expect(parseBody(result)).toEqual({ message: BUSY, retryAfterSeconds: 7, requestId: REQUEST_ID })
    expect(Date.now()).toBeLessThan(deadlineAt - 1_000)
    // us-west-2 is the last target, so a throttle would be retried there, but a 7 s wait does not fit in 3 s.
    expect(regionsOf(server.calls)).toEqual([EAST, EAST, WEST])
  })

  it(
    'only the last target open, the first closed and failing without a hint: Retry-After is the soonest anything could serve, not the cooldown',
    async () => {
      server.plan([{ kind: 'unavailable' }])
      const chat = chatHandler(server, {
        routes, backoff: { baseMs: 1, maxAttempts: 5 }, breaker: { consecutiveFailures: 5, cooldownMs: 60_000 },
      })
      // us-east-1 fails twice (its first 503 retried at once; closed, 2 of 5); us-west-2, the last target, fails five
      // times in place and opens.
      await chat.invoke(httpApiEvent())
      expect(regionsOf(server.calls)).toEqual([EAST, EAST, WEST, WEST, WEST, WEST, WEST])

      const result = await chat.invoke(httpApiEvent(), countdown(3_000, REQUEST_ID).context)
      // us-east-1 still tried (closed, 4 of 5 after its retry); us-west-2 skipped, open.
      expect(regionsOf(server.calls).slice(7)).toEqual([EAST, EAST])
      expect(result.statusCode).toBe(503)
      // us-east-1 may serve at any moment: the default, not us-west-2's 60 s cooldown.
      expect(result.headers?.['retry-after']).toBe('5')
      expect(parseBody(result)).toEqual({ message: BUSY, retryAfterSeconds: 5, requestId: REQUEST_ID })
    },
  )

  it('a target refused for good (403) says nothing about when to retry: the others\' known times stand', async () => {
    const NOVA = 'amazon.nova-micro-v1:0'
    const chat = chatHandler(server, {
      routes: { default: [at(WEST), at(EAST), at(EAST, NOVA)] }, backoff: false, breaker: { consecutiveFailures: 1, cooldownMs: 20_000 },
    })
    server.plan([{ kind: 'unavailable', region: WEST }])
    await chat.invoke(httpApiEvent()) // opens us-west-2; us-east-1 serves
    server.plan([{ kind: 'access-denied', region: EAST, model: HAIKU }, { kind: 'unavailable', model: NOVA, retryAfterSeconds: 30 }])
    const result = await chat.invoke(httpApiEvent(), countdown(3_000, REQUEST_ID).context)
    expect(result.statusCode).toBe(503)
    // us-west-2 reopens in 20 s, Nova said 30 s, us-east-1 never serves this role: 20, not the 5 s default.
    expect(result.headers?.['retry-after']).toBe('20')
  })

  it('with every breaker open the 503 costs no call, and Retry-After is the earliest reopening', async () => {
    server.plan([{ kind: 'unavailable' }])
    const chat = chatHandler(server, { routes, backoff: { baseMs: 1 }, breaker: { consecutiveFailures: 1, cooldownMs: 20_000 } })
    await chat.invoke(httpApiEvent())
    const before = server.callsTo()
    expect(before).toBe(2) // each breaker opened on its first failure

    const result = await chat.invoke(httpApiEvent(), countdown(3_000, REQUEST_ID).context)
    expect(result.statusCode).toBe(503)
    expect(result.headers?.['retry-after']).toBe('20')
    expect(parseBody(result)).toEqual({ message: BUSY, retryAfterSeconds: 20, requestId: REQUEST_ID })
    expect(server.callsTo()).toBe(before)
  })

  it('every breaker open but reopening within reopenWaitMs: the request waits for the probe and is served by it', async () => {
    server.plan([{ kind: 'unavailable' }])
    const chat = chatHandler(server, { routes, backoff: { baseMs: 1 }, breaker: { consecutiveFailures: 1, cooldownMs: 800 } })
    await chat.invoke(httpApiEvent()) // opens both
    const before = server.callsTo()
    server.plan([]) // the provider is back; the fleet learns it at the next probe

    const { context } = countdown(3_000, REQUEST_ID)
    const result = await chat.invoke(httpApiEvent(), context)
    expect(result.statusCode).toBe(200)
    // One call: the half-open probe on us-east-1, made after its cooldown, not a call on an open breaker.
    expect(server.callsTo() - before).toBe(1)
    expect(regionsOf(server.calls).at(-1)).toBe(EAST)
  })
})
