/** The adaptive throttle in the cascade: a throttling target gets a share of the calls, the rest go elsewhere at once. */
import { describe, expect, it } from '@jest/globals'
import { AdaptiveThrottle } from '../../../src/core/admission/adaptive-throttle.js'
import type { AdmissionFeed } from '../../../src/core/admission/fleet-feed.js'
import { AllTargetsFailedError } from '../../../src/core/errors.js'
import { runCascade } from '../../../src/core/invoker/cascade.js'
import { targetKey } from '../../../src/core/targets.js'
import { EAST, WEST, scripted, sdkError, setup } from './harness.js'

const THROTTLED = sdkError('ThrottlingException', 429)

describe('runCascade with the adaptive throttle', () => {
  it('sheds most calls to a target that throttles everything: they reach the next region without a 429 first', async () => {
    const { clock, request } = setup({ policies: { admission: new AdaptiveThrottle() } })
    const upstream = scripted(clock, { 'us-east-1': [THROTTLED], 'us-west-2': ['ok'] })
    let shed = 0
    for (let i = 0; i < 100; i++) {
      const result = await clock.run(runCascade(request(upstream.call, { targets: [EAST, WEST], random: () => (i % 10) / 10 })))
      expect(result.served.region).toBe('us-west-2')
      if (result.attempts[0]?.outcome === 'skipped-shed') shed++
      clock.advance(40)
    }
    const east = upstream.sent.filter((s) => s.target.region === 'us-east-1').length
    // Without the throttle every request would call us-east-1 (and retry it in place): 100+ 429s.
    expect(shed).toBeGreaterThan(60)
    expect(east).toBeLessThan(100 - 60)
    // ...but it is still sent a share, so its quota's return is noticed.
    expect(east).toBeGreaterThan(5)
  })

  it('with every target shedding, the request fails as all targets failed, retry after 1 s', async () => {
    // A minute's window: the warm-up's retry waits would otherwise slide its 429s out of the default 5 s.
    const admission = new AdaptiveThrottle({ windowMs: 60_000 })
    const { clock, request } = setup({ policies: { admission } })
    const upstream = scripted(clock, { 'us-east-1': [THROTTLED], 'us-west-2': [THROTTLED] })
    for (let i = 0; i < 30; i++) {
      await clock.run(runCascade(request(upstream.call, { targets: [EAST, WEST], random: () => 0.99 }))).catch(() => undefined)
    }
    const error = await clock.run(runCascade(request(upstream.call, { targets: [EAST, WEST], random: () => 0 }))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AllTargetsFailedError)
    const failed = error as AllTargetsFailedError
    expect(failed.attempts.map((a) => a.outcome)).toEqual(['skipped-shed', 'skipped-shed'])
    expect(failed.retryAfterSeconds).toBe(1)
  })

  it('a target that answers (even with a 5xx) is not shed: the throttle only weighs 429s', async () => {
    const admission = new AdaptiveThrottle()
    const { clock, request } = setup({ policies: { admission }, breaker: { consecutiveFailures: 1_000, minimumCalls: 1_000 } })
    const upstream = scripted(clock, { 'us-east-1': [sdkError('ServiceUnavailableException', 503)] })
    for (let i = 0; i < 50; i++) await clock.run(runCascade(request(upstream.call, { targets: [EAST, WEST] })))
    expect(admission.sheddingRate(targetKey(EAST), clock.now())).toBe(0)
    // The same number of 429s would have it shedding.
    const throttled = scripted(clock, { 'us-east-1': [THROTTLED] })
    for (let i = 0; i < 50; i++) await clock.run(runCascade(request(throttled.call, { targets: [EAST, WEST] })))
    expect(admission.sheddingRate(targetKey(EAST), clock.now())).toBeGreaterThan(0.5)
  })

  it('calls an open breaker refused are not demand: after the cooldown the probe and the calls after it are not shed', async () => {
    const admission = new AdaptiveThrottle()
    const { clock, request } = setup({ policies: { admission }, breaker: { consecutiveFailures: 1, cooldownMs: 10_000 } })
    const down = scripted(clock, { 'us-east-1': [sdkError('ServiceUnavailableException', 503)] })
    await clock.run(runCascade(request(down.call, { targets: [EAST, WEST] }))) // opens us-east-1
    // 40 requests over the cooldown, each refused by the open breaker before any call to us-east-1.
    for (let i = 0; i < 40; i++) {
      await clock.run(runCascade(request(down.call, { targets: [EAST, WEST] })))
      clock.advance(90)
    }
    expect(admission.sheddingRate(targetKey(EAST), clock.now())).toBe(0)
    clock.advance(5_000)
    const back = scripted(clock, {})
    const result = await clock.run(runCascade(request(back.call, { targets: [EAST, WEST], random: () => 0 })))
    expect(result.attempts.map((a) => a.outcome)).toEqual(['success']) // the probe, not shed
    expect(result.served.region).toBe('us-east-1')
  })
})

describe('runCascade with a throttle fed by the fleet', () => {
  it('after a 429 the next attempt waits for the fleet\'s counts, and a fleet that throttles everything sheds it', async () => {
    const reports: { requests: number; throttles: number }[] = []
    const feed: AdmissionFeed = {
      async report(_key, delta, now) {
        reports.push({ requests: delta.requests, throttles: delta.throttles })
        await clock.sleep(50)
        // 40 containers' worth of 429s in this second, and no accept.
        return new Map([[now - (now % 1_000), { requests: 100 + delta.requests, accepts: 0, throttles: 100 + delta.throttles }]])
      },
    }
    const admission = new AdaptiveThrottle({}, { feed })
    const { clock, request } = setup({ policies: { admission } })
    const upstream = scripted(clock, { 'us-east-1': [THROTTLED], 'us-west-2': ['ok'] })
    // First call: no 429 seen yet, so no exchange; east throttles, the throttle is now fleet-fed for a window.
    const first = await clock.run(runCascade(request(upstream.call, { targets: [EAST, WEST], random: () => 0 })))
    expect(first.served.region).toBe('us-west-2')
    expect(reports.length).toBeLessThanOrEqual(1)
    clock.advance(1_000)
    const second = await clock.run(runCascade(request(upstream.call, { targets: [EAST, WEST], random: () => 0 })))
    expect(second.attempts[0]?.outcome).toBe('skipped-shed')
    expect(second.served.region).toBe('us-west-2')
    expect(reports.at(-1)).toMatchObject({ throttles: 0 })
    expect(reports[0]).toMatchObject({ requests: 1, throttles: 1 })
    expect(admission.sheddingRate(targetKey(EAST), clock.now())).toBeGreaterThan(0.8)
  })

  it('a feed that fails leaves the throttle on its own counts: the call is sent, not shed, and the request served', async () => {
    const feed: AdmissionFeed = { report: () => Promise.reject(new Error('table down')) }
    const errors: string[] = []
    const admission = new AdaptiveThrottle({}, { feed, onFeedError: (key) => errors.push(key) })
    const { clock, request } = setup({ policies: { admission } })
    const upstream = scripted(clock, { 'us-east-1': [THROTTLED, 'ok'], 'us-west-2': ['ok'] })
    await clock.run(runCascade(request(upstream.call, { targets: [EAST, WEST], random: () => 0 })))
    clock.advance(1_000)
    const result = await clock.run(runCascade(request(upstream.call, { targets: [EAST, WEST], random: () => 0 })))
    expect(result.attempts.map((a) => a.outcome)).not.toContain('skipped-shed')
    expect(errors).toEqual([targetKey(EAST)])
  })
})
