import fc from 'fast-check'
import { backoffCeiling, fullJitterDelay, retryDelay } from '../../../src/core/backoff/jitter.js'
import { DEFAULT_BACKOFF_POLICY, type BackoffPolicy } from '../../../src/core/backoff/types.js'
import type { FailureClass } from '../../../src/core/failure.js'

const ALMOST_ONE = 1 - 2 ** -53
const fixed = (r: number) => (): number => r
const CLASSES: FailureClass[] = ['throttled', 'unavailable', 'timed-out', 'context-overflow', 'malformed-output', 'caller-fault']
/**
 * The bound computed independently, for n ≤ 2046: `2^n` is split so a tiny base times a large n stays exact, and
 * `0·2^n` is special-cased because `0·Infinity` is NaN.
 */
const bound = (n: number, base: number, cap: number): number =>
  base === 0 ? 0 : Math.min(cap, base * 2 ** Math.min(n, 1_023) * 2 ** Math.max(0, n - 1_023))

const time = (max: number) => fc.double({ min: 0, max, noNaN: true })
const unit = fc.double({ min: 0, max: ALMOST_ONE, noNaN: true })

describe('fullJitterDelay', () => {
  it('scales the exponential by the random draw', () => {
    expect(fullJitterDelay(0, 100, 10_000, fixed(0.5))).toBe(50)
    expect(fullJitterDelay(3, 100, 10_000, fixed(0.5))).toBe(400)
    expect(fullJitterDelay(10, 100, 10_000, fixed(0.5))).toBe(5_000)
    expect(fullJitterDelay(2, 100, 10_000, fixed(0))).toBe(0)
  })

  it('stays finite and at the cap for huge retry numbers', () => {
    for (const n of [1_023, 1_024, 1e6, Number.MAX_SAFE_INTEGER, Infinity]) {
      expect(backoffCeiling(n, 100, 10_000)).toBe(10_000)
      expect(backoffCeiling(n, 0, 10_000)).toBe(0)
    }
    // 2^1100 alone overflows, yet the smallest double times it is 2^26: still exact, still under a 1e8 cap.
    expect(backoffCeiling(1_100, 2 ** -1_074, 1e8)).toBe(2 ** 26)
  })

  it('treats negative, NaN and fractional retry numbers as whole retries from 0', () => {
    expect(backoffCeiling(-3, 100, 10_000)).toBe(100)
    expect(backoffCeiling(Number.NaN, 100, 10_000)).toBe(100)
    expect(backoffCeiling(2.9, 100, 10_000)).toBe(400)
  })

  it('never leaves [0, ceiling] even with a random source outside [0, 1)', () => {
    expect(fullJitterDelay(0, 100, 10_000, fixed(1.5))).toBe(100)
    expect(fullJitterDelay(0, 100, 10_000, fixed(-1))).toBe(0)
    expect(fullJitterDelay(0, 100, 10_000, fixed(Number.NaN))).toBe(0)
  })

  it('property: the delay is always within [0, min(cap, base·2^n)]', () => {
    fc.assert(fc.property(fc.nat({ max: 2_000 }), time(1e5), time(1e6), unit, (n, base, cap, r) => {
      const delay = fullJitterDelay(n, base, cap, fixed(r))
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThanOrEqual(bound(n, base, cap))
    }))
  })

  it('property: with random() → 0.999… the bound is approached', () => {
    fc.assert(fc.property(fc.nat({ max: 2_000 }), time(1e5), time(1e6), (n, base, cap) => {
      const b = bound(n, base, cap)
      // Relative, plus an absolute epsilon for subnormal bounds where float rounding is coarser than relative.
      expect(b - fullJitterDelay(n, base, cap, fixed(ALMOST_ONE))).toBeLessThanOrEqual(b * 1e-12 + Number.EPSILON)
    }))
  })
})

describe('retryDelay', () => {
  const policy = (overrides: Partial<BackoffPolicy> = {}): BackoffPolicy => ({ ...DEFAULT_BACKOFF_POLICY, ...overrides })

  it('backs off from throttleBaseMs for throttling and from baseMs otherwise', () => {
    const p = policy({ baseMs: 100, throttleBaseMs: 500 })
    expect(retryDelay({ failureClass: 'throttled', retryNumber: 0, policy: p, random: fixed(ALMOST_ONE) })).toBeCloseTo(500)
    expect(retryDelay({ failureClass: 'throttled', retryNumber: 2, policy: p, random: fixed(ALMOST_ONE) })).toBeCloseTo(2_000)
    expect(retryDelay({ failureClass: 'unavailable', retryNumber: 0, policy: p, random: fixed(ALMOST_ONE) })).toBeCloseTo(100)
    expect(retryDelay({ failureClass: 'timed-out', retryNumber: 2, policy: p, random: fixed(ALMOST_ONE) })).toBeCloseTo(400)
  })

  it('property: the class picks the base, the cap bounds the wait', () => {
    fc.assert(fc.property(
      fc.constantFrom(...CLASSES), fc.nat({ max: 100 }), time(5_000), time(5_000), time(60_000), unit,
      (failureClass, n, baseMs, throttleBaseMs, capMs, r) => {
        const p = policy({ baseMs, throttleBaseMs, capMs })
        const delay = retryDelay({ failureClass, retryNumber: n, policy: p, random: fixed(r) })
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThanOrEqual(bound(n, failureClass === 'throttled' ? throttleBaseMs : baseMs, capMs))
      },
    ))
  })

  it('honours Retry-After: at least what the server said, at most 10% of the base on top, never past the cap', () => {
    fc.assert(fc.property(
      fc.constantFrom(...CLASSES), fc.nat({ max: 20 }), time(5_000), time(60_000), unit, fc.double({ min: 0, max: 1, noNaN: true }),
      (failureClass, n, base, capMs, r, share) => {
        const p = policy({ baseMs: base, throttleBaseMs: base, capMs })
        const retryAfterMs = capMs * share
        const delay = retryDelay({ failureClass, retryNumber: n, retryAfterMs, policy: p, random: fixed(r) })
        expect(delay).toBeGreaterThanOrEqual(retryAfterMs)
        expect(delay).toBeLessThanOrEqual(Math.min(capMs, retryAfterMs + 0.1 * base))
      },
    ))
  })

  it('returns Infinity when Retry-After is beyond the cap: not worth waiting here', () => {
    fc.assert(fc.property(time(60_000), fc.double({ min: 1e-6, max: 1e7, noNaN: true }), (capMs, over) => {
      const delay = retryDelay({
        failureClass: 'throttled', retryNumber: 0, retryAfterMs: capMs + over, policy: policy({ capMs }), random: Math.random,
      })
      expect(delay).toBe(Infinity)
    }))
  })

  it('ignores Retry-After when honourRetryAfter is off, or when the value is not a usable time', () => {
    const off = policy({ honourRetryAfter: false, baseMs: 100 })
    expect(retryDelay({ failureClass: 'unavailable', retryNumber: 0, retryAfterMs: 60_000, policy: off, random: fixed(0.5) })).toBe(50)
    expect(retryDelay({
      failureClass: 'throttled', retryNumber: 0, retryAfterMs: Infinity, policy: policy(), random: fixed(0.5),
    })).toBe(Infinity)
    for (const bad of [Number.NaN, -1]) {
      expect(retryDelay({ failureClass: 'unavailable', retryNumber: 0, retryAfterMs: bad, policy: policy(), random: fixed(0.5) })).toBe(50)
    }
  })
})
