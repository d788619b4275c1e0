/**
 * Hedged requests over the real cascade (Hedging + runCascade), on the simulated clock: which target a hedge's win
 * blames, when a hedge is sent at all, and a caller that gave up before the call. Structure only (who served, what
 * was sent, who was blamed): no timings are asserted.
 */
import { describe, expect, it } from '@jest/globals'
import { Hedging } from '../../../src/core/engine/hedging.js'
import { DEFAULT_HEDGE_POLICY } from '../../../src/core/fallback/hedge-policy.js'
import { LatencyTracker } from '../../../src/core/health/latency.js'
import { runCascade } from '../../../src/core/invoker/cascade.js'
import { targetKey } from '../../../src/core/targets.js'
import type { SimClock } from '../../support/sim-clock.js'
import { EAST, WEST, scripted, sdkError, setup, type Script } from './harness.js'

/** A container's hedging whose outrun verdicts (a timeout to the breaker) are written down, on a warm us-east-1 p95. */
function hedged(clock: SimClock) {
  const latency = new LatencyTracker({ clock })
  for (let i = 0; i < 5; i++) latency.record(targetKey(EAST), 100, undefined, clock.now())
  const outrun: string[] = []
  const hedging = new Hedging(DEFAULT_HEDGE_POLICY, clock, (target) => { outrun.push(targetKey(target)) })
  const eastSamples = () => {
    clock.advance(1_000) // past the tracker's memo of its figures
    return latency.health(targetKey(EAST), clock.now())?.samples
  }
  return { latency, outrun, hedging, eastSamples }
}

const regions = (sent: ReadonlyArray<{ target: { region: string } }>) => sent.map((s) => s.target.region)

describe('hedged cascades: who a hedge outran', () => {
  it('a first target that failed fast is not blamed, and the target the cascade moved on to is not called twice', async () => {
    const { clock, request } = setup()
    const { latency, outrun, hedging, eastSamples } = hedged(clock)
    // us-east-1 answers 503 (the cascade tells its breaker and walks on); us-west-2's first call hangs past its
    // attempt limit, its retry answers. When the hedge delay is up, the cascade waits on us-west-2, not us-east-1.
    const { call, sent } = scripted(clock, { 'us-east-1': [sdkError('ServiceUnavailableException', 503)], 'us-west-2': ['hang', 'ok'] })
    const result = await clock.run(hedging.run(request(call, { targets: [EAST, WEST], latency, attemptTimeoutMs: 5_000 }), clock.now()))
    expect(result.output).toBe('ok from us-west-2')
    // Served by the first cascade itself: no hedge was sent to the us-west-2 call it was waiting on.
    expect(result.attempts.map((a) => [a.target.region, a.outcome])).toEqual([
      ['us-east-1', 'unavailable'], ['us-east-1', 'unavailable'], ['us-west-2', 'timed-out'], ['us-west-2', 'success'],
    ])
    expect(regions(sent)).toEqual(['us-east-1', 'us-east-1', 'us-west-2', 'us-west-2'])
    expect(outrun).toEqual([])
    expect(eastSamples()).toBe(5)
  })

  it('a first target still in flight when the hedge wins is blamed: a timeout to its breaker, a sample of its time', async () => {
    const { clock, request } = setup()
    const { latency, outrun, hedging, eastSamples } = hedged(clock)
    const { call, sent } = scripted(clock, { 'us-east-1': ['hang'] })
    const result = await clock.run(hedging.run(request(call, { targets: [EAST, WEST], latency }), clock.now()))
    expect(result.output).toBe('ok from us-west-2')
    expect(regions(sent)).toEqual(['us-east-1', 'us-west-2'])
    expect(outrun).toEqual([targetKey(EAST)])
    expect(eastSamples()).toBe(6)
  })

  it('a retry of the first target that the hedge outran before it had run the hedge delay is not blamed', async () => {
    const { clock, request } = setup()
    const { latency, outrun, hedging, eastSamples } = hedged(clock)
    // Throttled (a 429, retried in place after a short backoff: a low jitter draw), then the retry hangs: in flight
    // when the delay is up, so hedged, but not yet slow itself when the hedge answers.
    const script: Script = { 'us-east-1': [sdkError('ThrottlingException', 429), 'hang'] }
    const { call, sent } = scripted(clock, script)
    const result = await clock.run(hedging.run(request(call, { targets: [EAST, WEST], latency, random: () => 0.1 }), clock.now()))
    expect(result.output).toBe('ok from us-west-2')
    expect(regions(sent)).toEqual(['us-east-1', 'us-east-1', 'us-west-2'])
    expect(outrun).toEqual([])
    expect(eastSamples()).toBe(5)
  })

  it('no hedge while the first cascade waits out a backoff (no attempt in flight): its retry is waited for', async () => {
    const { clock, request } = setup()
    const { latency, outrun, hedging } = hedged(clock)
    // A 429, and a longer backoff than the hedge delay: the cascade is between attempts when the delay is up.
    const { call, sent } = scripted(clock, { 'us-east-1': [sdkError('ThrottlingException', 429), 'ok'] })
    const result = await clock.run(hedging.run(request(call, { targets: [EAST, WEST], latency, random: () => 0.9 }), clock.now()))
    expect(result.output).toBe('ok from us-east-1')
    expect(regions(sent)).toEqual(['us-east-1', 'us-east-1'])
    expect(outrun).toEqual([])
  })
})

describe('hedged cascades: a caller signal aborted before the call', () => {
  it.each([false, true])('hedged=%s: rejects with its reason, nothing is sent', async (hedge) => {
    const { clock, request } = setup()
    const { latency, hedging } = hedged(clock)
    const { call, sent } = scripted(clock, {})
    const controller = new AbortController()
    controller.abort(new Error('caller gave up'))
    const req = request(call, { targets: [EAST, WEST], latency, signal: controller.signal })
    const running = hedge ? hedging.run(req, clock.now()) : runCascade(req)
    await expect(clock.run(running)).rejects.toThrow('caller gave up')
    expect(sent).toEqual([])
  })
})
