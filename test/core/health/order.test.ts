import { LatencyTracker } from '../../../src/core/health/latency.js'
import { orderByHealth } from '../../../src/core/health/order.js'
import { targetKey, type Target } from '../../../src/core/targets.js'
import { SimClock } from '../../support/sim-clock.js'

const SONNET = 'anthropic.claude-3-5-sonnet'
const HAIKU = 'anthropic.claude-3-haiku'
const t = (model: string, region: string): Target => ({ model, region })
const S_EAST = t(SONNET, 'us-east-1')
const S_WEST = t(SONNET, 'us-west-2')
const S_OHIO = t(SONNET, 'us-east-2')
const H_EAST = t(HAIKU, 'us-east-1')
const H_WEST = t(HAIKU, 'us-west-2')

function trackerWith(latencies: ReadonlyArray<readonly [Target, number]>): LatencyTracker {
  const tracker = new LatencyTracker({ clock: new SimClock(), minSamples: 5 })
  for (const [target, ms] of latencies) for (let i = 0; i < 10; i++) tracker.record(targetKey(target), ms)
  return tracker
}

describe('orderByHealth', () => {
  it('sinks a slow region below a healthy region of the same model', () => {
    const tracker = trackerWith([[S_EAST, 9_000], [S_WEST, 2_000]])
    expect(orderByHealth([S_EAST, S_WEST, H_EAST], tracker)).toEqual([S_WEST, S_EAST, H_EAST])
  })

  it('never moves a model across another: each model keeps the positions the route gave it', () => {
    // Haiku is far faster than Sonnet, yet Sonnet stays first: the order across models is the user's preference.
    const tracker = trackerWith([[S_EAST, 9_000], [S_WEST, 2_000], [H_EAST, 300], [H_WEST, 400]])
    const route = [S_EAST, H_EAST, S_WEST, H_WEST]
    expect(orderByHealth(route, tracker)).toEqual([S_WEST, H_EAST, S_EAST, H_WEST])
    expect(orderByHealth([S_WEST, H_WEST], tracker)).toEqual([S_WEST, H_WEST])
  })

  it('leaves the route as configured (the same array) when no region is slower than slowFactor × the best', () => {
    const tracker = trackerWith([[S_EAST, 3_000], [S_WEST, 2_000]])
    const route = [S_EAST, S_WEST, H_EAST]
    expect(orderByHealth(route, tracker)).toBe(route)
    expect(orderByHealth(route, tracker, { slowFactor: 1.2 })).toEqual([S_WEST, S_EAST, H_EAST])
  })

  it('does not sink a region over a gap of a few ms: 2× slower at 4 vs 9 ms is noise, not health', () => {
    const tracker = trackerWith([[S_EAST, 9], [S_WEST, 4]])
    const route = [S_EAST, S_WEST]
    expect(orderByHealth(route, tracker)).toBe(route)
    expect(orderByHealth(route, trackerWith([[S_EAST, 400], [S_WEST, 100]]))).toEqual([S_WEST, S_EAST])
    expect(orderByHealth(route, tracker, { minGapMs: 1 })).toEqual([S_WEST, S_EAST])
  })

  it('judges the median: a few slow first calls (connection set-up) do not sink a region whose other calls are fast', () => {
    const tracker = new LatencyTracker({ clock: new SimClock(), minSamples: 5 })
    for (const ms of [2_500, 1_900, ...Array<number>(18).fill(400)]) tracker.record(targetKey(S_EAST), ms)
    for (let i = 0; i < 10; i++) tracker.record(targetKey(S_WEST), 400)
    const route = [S_EAST, S_WEST]
    expect(orderByHealth(route, tracker)).toBe(route)
  })

  it('judges only measured targets: an unknown region is never slow, and one known region has no peer', () => {
    const tracker = trackerWith([[S_EAST, 9_000]])
    const route = [S_EAST, S_WEST]
    expect(orderByHealth(route, tracker)).toBe(route)
  })

  it('keeps the route order among the healthy and among the slow', () => {
    const tracker = trackerWith([[S_EAST, 9_000], [S_WEST, 8_000], [S_OHIO, 1_000]])
    expect(orderByHealth([S_EAST, S_WEST, S_OHIO], tracker)).toEqual([S_OHIO, S_EAST, S_WEST])
  })

  it('rejects a slowFactor below 1 and a negative or NaN minGapMs', () => {
    expect(() => orderByHealth([S_EAST, S_WEST], trackerWith([]), { slowFactor: 0.5 })).toThrow(RangeError)
    expect(() => orderByHealth([S_EAST, S_WEST], trackerWith([]), { minGapMs: -1 })).toThrow(RangeError)
    expect(() => orderByHealth([S_EAST, S_WEST], trackerWith([]), { minGapMs: Number.NaN })).toThrow(RangeError)
  })
})
