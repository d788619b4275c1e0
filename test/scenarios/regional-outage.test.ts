/**
 * Scenario 1: one region answers 503. The other region serves at once; once the failing region's breaker is open,
 * no call goes there at all, and every reply says it was served by a fallback target.
 */
import { describe, expect, it } from '@jest/globals'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { at, chatHandler, EAST, parseBody, pause, regionsOf, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }

describe('regional 503', () => {
  it('is served by the other region; after the breaker opens, the failing region gets no more calls', async () => {
    server.plan([{ kind: 'unavailable', region: EAST }])
    const chat = chatHandler(server, { routes, breaker: { consecutiveFailures: 3, cooldownMs: 60_000 } })

    for (let i = 0; i < 6; i++) {
      const result = await chat.invoke(httpApiEvent())
      expect(result.statusCode).toBe(200)
      expect(parseBody(result)).toMatchObject({ text: `echo: hello [${at(WEST)}]`, served: { region: WEST, degraded: 'fallback-target' } })
    }
    // A first 503 is retried at once; three failures open us-east-1 (the second invocation's retry is refused by the
    // breaker that its first failure opened); invocations 3-6 skip it without a call.
    expect(server.callsTo({ region: EAST })).toBe(3)
    expect(server.callsTo({ region: WEST })).toBe(6)
    expect(regionsOf(server.calls)).toEqual([EAST, EAST, WEST, EAST, WEST, WEST, WEST, WEST, WEST])
    expect(chat.served.map((s) => s.attempts)).toEqual([3, 2, 1, 1, 1, 1])
    expect(chat.served.every((s) => s.degraded === 'fallback-target' && s.region === WEST)).toBe(true)
  })

  it('the failure-rate trip opens it too: 2 of 4 calls failed, minimum volume 4', async () => {
    const chat = chatHandler(server, {
      routes, breaker: { minimumCalls: 4, failureRateThreshold: 0.5, consecutiveFailures: 100 },
    })
    for (let i = 0; i < 2; i++) await chat.invoke(httpApiEvent())
    server.plan([{ kind: 'internal', region: EAST }])
    for (let i = 0; i < 4; i++) expect((await chat.invoke(httpApiEvent())).statusCode).toBe(200)
    // us-east-1: ok, ok, 500 (1/3), its immediate retry 500 (2/4 = 0.5, opens); the last three invocations never reach it.
    expect(server.calls.filter((c) => c.region === EAST).map((c) => c.status)).toEqual([200, 200, 500, 500])
    expect(server.callsTo({ region: WEST })).toBe(4)
    expect(chat.served.map((s) => `${s.region}/${s.attempts}`)).toEqual([
      `${EAST}/1`, `${EAST}/1`, `${WEST}/3`, `${WEST}/1`, `${WEST}/1`, `${WEST}/1`,
    ])
  })

  it('after the cooldown one probe goes back to the healed region, and it serves undegraded again', async () => {
    server.plan([{ kind: 'unavailable', region: EAST }])
    const chat = chatHandler(server, { routes, breaker: { consecutiveFailures: 1, cooldownMs: 150, probeStages: [1] } })
    await chat.invoke(httpApiEvent()) // opens us-east-1
    server.plan([])
    await chat.invoke(httpApiEvent()) // still open: us-west-2 only
    expect(regionsOf(server.calls)).toEqual([EAST, WEST, WEST])
    await pause(200)
    const probe = await chat.invoke(httpApiEvent())
    expect(parseBody(probe)).toMatchObject({ served: { region: EAST, attempts: 1, degraded: false } })
    expect(regionsOf(server.calls)).toEqual([EAST, WEST, WEST, EAST])
  })

  it('a healthy region 1 is used first and nothing is degraded', async () => {
    const chat = chatHandler(server, { routes })
    const result = await chat.invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({ served: { region: EAST, attempts: 1, degraded: false, degradations: [] } })
    expect(regionsOf(server.calls)).toEqual([EAST])
  })
})
