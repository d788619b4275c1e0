import fc from 'fast-check'
import type { AttemptOutcome, AttemptRecord } from '../../../src/core/attempts.js'
import { reopenWait } from '../../../src/core/invoker/reopen-wait.js'
import { EAST } from './harness.js'

const rec = (outcome: AttemptOutcome): AttemptRecord => ({ target: EAST, attempt: 1, outcome, latencyMs: 0, waitMs: 0 })
const ask = (walk: AttemptRecord[], soonest: (number | undefined)[], waitedMs = 0, maxWaitMs = 2_000) =>
  reopenWait({ walk, soonest, waitedMs, maxWaitMs, random: () => 0 })

describe('reopenWait', () => {
  it('waits for the soonest reopen when every target was refused by its breaker', () => {
    expect(ask([rec('skipped-open'), rec('skipped-open')], [1_500, 700])).toBe(700)
  })

  it('does not wait after a call, a shed, or a skip for time or budget: only a walk the breakers refused', () => {
    for (const other of ['unavailable', 'skipped-shed', 'skipped-deadline', 'skipped-budget', 'throttled'] as const) {
      expect(ask([rec('skipped-open'), rec(other)], [700, 700])).toBeUndefined()
    }
    expect(ask([], [])).toBeUndefined()
  })

  it('does not wait when a target has no known reopening', () => {
    expect(ask([rec('skipped-open'), rec('skipped-open')], [700, undefined])).toBeUndefined()
  })

  it('never lets the waits of one request add up past maxWaitMs', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 6_000 }), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 0, max: 5_000 }),
      fc.double({ min: 0, max: 0.999, noNaN: true }),
      (hints, maxWaitMs, r) => {
        let waited = 0
        for (const hint of hints) {
          const wait = reopenWait({ walk: [rec('skipped-open')], soonest: [hint], waitedMs: waited, maxWaitMs, random: () => r })
          if (wait === undefined) continue
          expect(wait).toBeGreaterThanOrEqual(hint) // never wakes before the target may admit
          waited += wait
        }
        expect(waited).toBeLessThanOrEqual(maxWaitMs)
      },
    ))
  })
})
