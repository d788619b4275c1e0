import fc from 'fast-check'
import { DEFAULT_REDELIVERY_POLICY as P, planRedelivery, type RedeliveryPlan } from '../../../src/core/queue/redelivery.js'

const wait = (plan: RedeliveryPlan): number => {
  if (plan.action !== 'redeliver') throw new Error(`expected a redelivery, got ${plan.action}`)
  return plan.visibilitySeconds
}

describe('planRedelivery', () => {
  it('deletes what was served and dead-letters a caller fault at once, with its reason', () => {
    expect(planRedelivery({ kind: 'served' }, { ageSeconds: 3, receiveCount: 1 }, P, () => 0.5)).toEqual({ action: 'delete' })
    expect(planRedelivery({ kind: 'never', reason: 'bad-request' }, { ageSeconds: 0, receiveCount: 1 }, P, () => 0.5))
      .toEqual({ action: 'dead-letter', reason: 'bad-request' })
  })

  it('times a young record to the breaker reopening, plus a spread of at least a second', () => {
    expect(wait(planRedelivery({ kind: 'not-now', retryAfterSeconds: 4 }, { ageSeconds: 2, receiveCount: 1 }, P, () => 0))).toBe(4)
    expect(wait(planRedelivery({ kind: 'not-now', retryAfterSeconds: 4 }, { ageSeconds: 2, receiveCount: 1 }, P, () => 0.99))).toBe(5)
    // Without an exact hint, the upper bound; without any, the default.
    expect(wait(planRedelivery({ kind: 'not-now', retryAfterAtMostSeconds: 2 }, { ageSeconds: 0, receiveCount: 1 }, P, () => 0))).toBe(2)
    expect(wait(planRedelivery({ kind: 'not-now' }, { ageSeconds: 0, receiveCount: 1 }, P, () => 0))).toBe(P.defaultDelaySeconds)
  })

  it('never waits less than a tenth of the record age, nor more than the cap', () => {
    expect(wait(planRedelivery({ kind: 'not-now', retryAfterSeconds: 5 }, { ageSeconds: 600, receiveCount: 1 }, P, () => 0))).toBe(60)
    const old = { ageSeconds: 80_000, receiveCount: 1 }
    expect(wait(planRedelivery({ kind: 'not-now', retryAfterSeconds: 5 }, old, P, () => 0))).toBe(P.maxDelaySeconds)
  })

  it('dead-letters a record past its maximum age as expired', () => {
    expect(planRedelivery({ kind: 'not-now', retryAfterSeconds: 5 }, { ageSeconds: P.maxAgeSeconds, receiveCount: 1 }, P, () => 0))
      .toEqual({ action: 'dead-letter', reason: 'expired' })
  })

  it('keeps every wait within [min, max] whatever the hint, age and random source', () => {
    fc.assert(fc.property(
      fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: undefined }),
      fc.double({ min: -10, max: P.maxAgeSeconds - 1, noNaN: true }),
      fc.double({ min: -1, max: 2, noNaN: true }),
      (hint, age, r) => {
        const w = wait(planRedelivery({ kind: 'not-now', retryAfterSeconds: hint }, { ageSeconds: age, receiveCount: 1 }, P, () => r))
        return Number.isInteger(w) && w >= P.minDelaySeconds && w <= P.maxDelaySeconds
          && (hint === undefined || w >= Math.min(P.maxDelaySeconds, Math.ceil(hint)))
      },
    ), { numRuns: 300 })
  })

  it('requeues a record received requeueAtReceiveCount times, due when it would have been visible (at most 900 s)', () => {
    const notNow = { kind: 'not-now', retryAfterSeconds: 4 } as const
    expect(planRedelivery(notNow, { ageSeconds: 2, receiveCount: P.requeueAtReceiveCount - 1 }, P, () => 0))
      .toEqual({ action: 'redeliver', visibilitySeconds: 4 })
    expect(planRedelivery(notNow, { ageSeconds: 2, receiveCount: P.requeueAtReceiveCount }, P, () => 0))
      .toEqual({ action: 'requeue', delaySeconds: 4 })
    const long = { ...P, maxDelaySeconds: 3_600 }
    expect(planRedelivery(notNow, { ageSeconds: 30_000, receiveCount: 9 }, long, () => 0)).toEqual({ action: 'requeue', delaySeconds: 900 })
    // A caller fault and an expired record still go to the dead-letter queue, however often they were received.
    const often = { ageSeconds: 0, receiveCount: 9 }
    expect(planRedelivery({ kind: 'never', reason: 'bad-request' }, often, P, () => 0).action).toBe('dead-letter')
  })

  it('never lets an outage carry a record past the queue\'s maxReceiveCount', () => {
    // SQS counts receives per message; a requeued copy starts again at 1. maxReceiveCount = requeueAtReceiveCount + 1.
    fc.assert(fc.property(fc.integer({ min: 1, max: 20_000 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (outage, r) => {
      let age = 0
      let count = 0
      while (age < outage) {
        count++
        if (count > P.requeueAtReceiveCount + 1) return false
        const plan = planRedelivery({ kind: 'not-now', retryAfterSeconds: 5 }, { ageSeconds: age, receiveCount: count }, P, () => r)
        if (plan.action === 'requeue') {
          age += plan.delaySeconds
          count = 0
        } else age += wait(plan)
      }
      return true
    }), { numRuns: 200 })
  })

  it('uses receives that grow with the log of the outage, not with its length', () => {
    // A record redelivered on every reopen (5 s) through outages of ever greater length.
    const outages = fc.integer({ min: 60, max: P.maxAgeSeconds - 1 })
    fc.assert(fc.property(outages, fc.double({ min: 0, max: 0.999, noNaN: true }), (outage, r) => {
      let age = 0
      let receives = 0
      while (age < outage) {
        age += wait(planRedelivery({ kind: 'not-now', retryAfterSeconds: 5 }, { ageSeconds: age, receiveCount: 1 }, P, () => r))
        receives++
      }
      // At most 10 reopens before the age floor takes over, then about 25 per tenfold, plus the capped tail.
      const tenfolds = Math.log10(Math.max(outage, 50) / 50)
      const capped = Math.max(0, outage - P.maxDelaySeconds / P.ageShare) / P.maxDelaySeconds
      return receives <= 12 + 26 * tenfolds + capped + 1 && age - outage <= Math.max(6, outage * 0.1 * 1.2 + 1)
    }), { numRuns: 200 })
  })
})
