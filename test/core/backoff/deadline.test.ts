import fc from 'fast-check'
import { Deadline } from '../../../src/core/backoff/deadline.js'
import type { Clock } from '../../../src/core/clock.js'

/** Deadline only reads `now()`; sleeping is the attempt signal's business (attempt-signal.test.ts). */
class ManualClock implements Clock {
  constructor(public t: number) {}
  now = (): number => this.t
  sleep = (): Promise<void> => Promise.reject(new Error('Deadline must not sleep'))
}

describe('Deadline', () => {
  it('fixes the deadline once, then reads only the injected clock', () => {
    const clock = new ManualClock(1_000_000)
    const d = new Deadline(clock, 10_000, 300)
    expect(d.deadlineAt).toBe(1_010_000)
    expect(d.remainingMs()).toBe(9_700)
    clock.t += 4_000
    expect(d.remainingMs()).toBe(5_700)
    expect(d.attemptTimeoutMs(30_000)).toBe(5_700)
    expect(d.attemptTimeoutMs(2_000)).toBe(2_000)
  })

  it('goes negative inside the reserve, while attemptTimeoutMs and canAfford say "no time"', () => {
    const clock = new ManualClock(0)
    const d = new Deadline(clock, 1_000, 300)
    clock.t = 800
    expect(d.remainingMs()).toBe(-100)
    expect(d.attemptTimeoutMs(30_000)).toBe(0)
    expect(d.canAfford(0, 0)).toBe(false)
  })

  it('affords a wait plus a minimal attempt exactly up to the reserve', () => {
    const d = new Deadline(new ManualClock(0), 5_000, 300)
    expect(d.canAfford(3_700, 1_000)).toBe(true)
    expect(d.canAfford(3_701, 1_000)).toBe(false)
    expect(d.canAfford(Infinity, 1_000)).toBe(false)
    expect(d.canAfford(Number.NaN, 1_000)).toBe(false)
  })

  it('treats an Infinity remaining time as "no deadline"', () => {
    const d = new Deadline(new ManualClock(5), Infinity, 300)
    expect(d.remainingMs()).toBe(Infinity)
    expect(d.canAfford(10_000, 1_000)).toBe(true)
    expect(d.canAfford(Infinity, 1_000)).toBe(false)
    expect(d.attemptTimeoutMs(30_000)).toBe(30_000)
  })

  it('rejects wiring bugs: a NaN remaining time or a negative reserve', () => {
    expect(() => new Deadline(new ManualClock(0), Number.NaN, 300)).toThrow(RangeError)
    expect(() => new Deadline(new ManualClock(0), 1_000, -1)).toThrow(RangeError)
  })

  const ms = fc.integer({ min: 0, max: 900_000 })

  it('property: canAfford is false whenever wait + minAttempt > remaining − reserve, true otherwise while time is left', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 2 ** 45 }), ms, fc.integer({ min: 0, max: 60_000 }), ms, ms, ms,
      (start, remainingAtStart, reserve, elapsed, wait, minAttempt) => {
        const clock = new ManualClock(start)
        const d = new Deadline(clock, remainingAtStart, reserve)
        clock.t += elapsed
        const left = remainingAtStart - reserve - elapsed
        expect(d.remainingMs()).toBe(left)
        expect(d.canAfford(wait, minAttempt)).toBe(left > 0 && wait + minAttempt <= left)
      },
    ))
  })

  it('property: an attempt timeout never outlasts the cap or the time before the reserve', () => {
    fc.assert(fc.property(ms, fc.integer({ min: 0, max: 60_000 }), ms, ms, (remainingAtStart, reserve, spent, cap) => {
      const clock = new ManualClock(0)
      const d = new Deadline(clock, remainingAtStart, reserve)
      clock.t = spent
      const slice = d.attemptTimeoutMs(cap)
      expect(slice).toBeGreaterThanOrEqual(0)
      expect(slice).toBeLessThanOrEqual(cap)
      expect(spent + slice).toBeLessThanOrEqual(Math.max(spent, remainingAtStart - reserve))
    }))
  })
})
