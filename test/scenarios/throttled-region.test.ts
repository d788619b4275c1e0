/**
 * A region over its quota, on the real wire: every call to us-east-1 gets 429. The breaker stays closed (a throttle
 * is not an outage); the adaptive throttle soon sheds most calls before they are sent, so they reach us-west-2 at
 * once instead of waiting out retries in place; us-east-1 still gets a share, and serves again when its quota does.
 */
import { describe, expect, it } from '@jest/globals'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { at, chatHandler, EAST, parseBody, pause, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }

describe('a region over its quota', () => {
  it('is shed, not opened: most requests go straight to the other region, and it serves again when it can', async () => {
    server.plan([{ kind: 'throttle', region: EAST }])
    // A 1 s window (default 5 s), so that the quota's return shows within the test's own pause.
    const chat = chatHandler(server, {
      routes, backoff: { throttleBaseMs: 1, maxAttempts: 2 }, breaker: { admission: { windowMs: 1_000 } },
    })
    for (let i = 0; i < 40; i++) {
      const result = await chat.invoke(httpApiEvent())
      expect(result.statusCode).toBe(200)
      expect(parseBody(result)).toMatchObject({ served: { region: WEST } })
    }
    const east = server.callsTo({ region: EAST })
    // Without shedding: 40 requests × 2 attempts = 80 calls to a region that can take none of them.
    expect(east).toBeLessThan(50)
    expect(east).toBeGreaterThan(4) // still probed: a share of the calls, never none
    expect(chat.served.some((s) => s.attempts === 1)).toBe(true) // shed: us-west-2 was the only call made

    server.plan([])
    await pause(2_000) // two windows
    const before = server.callsTo({ region: EAST })
    let backOnEast = 0
    for (let i = 0; i < 40; i++) {
      const result = await chat.invoke(httpApiEvent())
      if ((parseBody(result) as { served: { region: string } }).served.region === EAST) backOnEast++
    }
    // Never opened, so nothing waits for a cooldown: its 429s aged out, and what it is sent it serves.
    expect(server.callsTo({ region: EAST })).toBeGreaterThan(before)
    expect(backOnEast).toBeGreaterThan(20)
  })
})

describe('demand over a real quota (the fake counts requests per minute, as Bedrock does)', () => {
  /** 100 requests as fast as they come; us-east-1 takes 10 a second (a 1 s burst), us-west-2 has room. */
  async function spike(breaker: { admission?: false }): Promise<{ calls: number; throttled: number; eastServed: number }> {
    server.reset()
    server.quotas([{ region: EAST, requestsPerMinute: 600, burstSeconds: 1 }])
    const chat = chatHandler(server, { routes, backoff: { throttleBaseMs: 1 }, breaker })
    for (let i = 0; i < 100; i++) expect((await chat.invoke(httpApiEvent())).statusCode).toBe(200)
    const throttled = server.calls.filter((c) => c.status === 429).length
    return { calls: server.calls.length, throttled, eastServed: server.callsTo({ region: EAST }) - throttled }
  }

  it('spills what us-east-1 cannot take to us-west-2, with far fewer wasted calls than without the throttle', async () => {
    const without = await spike({ admission: false })
    await pause(1_100) // the burst refills
    const shed = await spike({})
    // Measured: 209 calls and 109 429s without the throttle, 152 and 52 with it (it learns within the spike).
    expect(shed.throttled).toBeLessThan(without.throttled * 0.7)
    expect(shed.calls).toBeLessThan(without.calls * 0.85)
    expect(shed.eastServed).toBeGreaterThanOrEqual(10) // us-east-1 still serves its share
  })
})
