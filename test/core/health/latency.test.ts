import { LatencyTracker } from '../../../src/core/health/latency.js'
import { estimateSpeed, plannedMaxTokens, tokensWithin, MIN_PLANNED_TOKENS } from '../../../src/core/health/speed.js'
import { SimClock } from '../../support/sim-clock.js'

describe('LatencyTracker', () => {
  it('knows nothing until it has minSamples, then gives nearest-rank p50 and p95', () => {
    const tracker = new LatencyTracker({ clock: new SimClock(), minSamples: 5 })
    for (const ms of [100, 200, 300, 400]) tracker.record('a', ms)
    expect(tracker.health('a')).toBeUndefined()
    for (let ms = 500; ms <= 2_000; ms += 100) tracker.record('a', ms) // 20 samples: 100..2000
    expect(tracker.health('a')).toMatchObject({ samples: 20, p50Ms: 1_000, p95Ms: 1_900 })
    expect(tracker.health('b')).toBeUndefined()
  })

  it('keeps only the last `size` calls', () => {
    const tracker = new LatencyTracker({ clock: new SimClock(), size: 8, minSamples: 1 })
    for (let i = 0; i < 8; i++) tracker.record('a', 5_000)
    for (let i = 0; i < 8; i++) tracker.record('a', 100)
    expect(tracker.health('a')).toMatchObject({ samples: 8, p95Ms: 100 })
  })

  it('forgets samples older than maxAgeMs, so a sunk target is tried again', () => {
    const clock = new SimClock()
    const tracker = new LatencyTracker({ clock, maxAgeMs: 60_000, minSamples: 2 })
    tracker.record('a', 100)
    tracker.record('a', 100)
    clock.advance(30_000)
    expect(tracker.health('a')?.samples).toBe(2)
    clock.advance(30_001)
    expect(tracker.health('a')).toBeUndefined()
  })

  it('ignores nonsense latencies and rejects nonsense options', () => {
    const tracker = new LatencyTracker({ clock: new SimClock(), minSamples: 1 })
    tracker.record('a', NaN)
    tracker.record('a', -1)
    expect(tracker.health('a')).toBeUndefined()
    expect(() => new LatencyTracker({ size: 0 })).toThrow(RangeError)
    expect(() => new LatencyTracker({ minSamples: 0 })).toThrow(RangeError)
    expect(() => new LatencyTracker({ maxAgeMs: 0 })).toThrow(RangeError)
  })

  it('estimates speed only from calls that reported output tokens', () => {
    const tracker = new LatencyTracker({ clock: new SimClock(), minSamples: 3 })
    for (let i = 0; i < 5; i++) tracker.record('a', 1_000)
    expect(tracker.health('a')?.speed).toBeUndefined()
    for (const tokens of [100, 200, 400]) tracker.record('a', 300 + tokens * 10, tokens)
    expect(tracker.health('a')?.speed).toMatchObject({ maxOutputTokens: 400 })
  })
})

describe('speed estimate and planned maxTokens', () => {
  // 300 ms to first byte, then 100 tokens/s.
  const line = (tokens: number) => ({ tokens, latencyMs: 300 + tokens * 10 })

  it('fits the line when output lengths vary: slope = speed, intercept = first byte', () => {
    const speed = estimateSpeed([50, 100, 200, 400, 800].map(line))!
    expect(speed.tokensPerSecond).toBeCloseTo(100, 6)
    expect(speed.firstByteMs).toBeCloseTo(300, 6)
    expect(speed.maxOutputTokens).toBe(800)
  })

  it('falls back to the conservative pair when lengths barely vary, and never plans past the slice', () => {
    const speed = estimateSpeed([400, 400, 410, 400, 395].map(line))!
    expect(speed.firstByteMs).toBe(line(395).latencyMs) // the fastest call
    expect(speed.tokensPerSecond).toBeLessThan(100) // counts the first byte as generation time
    for (const sliceMs of [1_000, 2_500, 5_000, 20_000]) {
      const n = tokensWithin(speed, sliceMs)
      if (n > 0) expect(line(n).latencyMs).toBeLessThanOrEqual(sliceMs)
    }
  })

  it('plans below what was asked only, never below MIN_PLANNED_TOKENS, never above what the model produced', () => {
    const speed = { tokensPerSecond: 100, firstByteMs: 300, maxOutputTokens: 1_000 }
    expect(tokensWithin(speed, 3_000)).toBe(240) // 100 × (0.9 × 3000 − 300) / 1000
    expect(plannedMaxTokens(speed, 3_000, 2_000, undefined)).toBe(240)
    expect(plannedMaxTokens(speed, 3_000, 200, undefined)).toBeUndefined() // asked for less than fits
    expect(plannedMaxTokens(speed, 3_000, undefined, 128)).toBeUndefined() // the target's own cap is lower
    expect(plannedMaxTokens(speed, 3_000, undefined, undefined)).toBe(240) // no maxTokens: bounded by the model's output seen
    expect(plannedMaxTokens({ ...speed, maxOutputTokens: 200 }, 3_000, undefined, undefined)).toBeUndefined()
    expect(plannedMaxTokens(speed, 600, 2_000, undefined)).toBeUndefined() // 24 tokens < MIN_PLANNED_TOKENS
    expect(MIN_PLANNED_TOKENS).toBeGreaterThan(24)
    expect(plannedMaxTokens(undefined, 3_000, 2_000, undefined)).toBeUndefined()
  })
})
