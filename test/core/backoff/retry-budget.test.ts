import fc from 'fast-check'
import { RetryBudget } from '../../../src/core/backoff/retry-budget.js'
import { DEFAULT_RETRY_BUDGET, type RetryBudgetPolicy } from '../../../src/core/backoff/types.js'
import type { Clock } from '../../../src/core/clock.js'
import { BreakwaterConfigError } from '../../../src/core/errors.js'

/** The budget only reads `now()`. */
class ManualClock implements Clock {
  constructor(public t: number) {}
  now = (): number => this.t
  sleep = (): Promise<void> => Promise.reject(new Error('the budget must not sleep'))
}

/** Takes retries until refused, without moving the clock; returns how many were granted. */
function drain(budget: RetryBudget): number {
  let granted = 0
  while (budget.tryAcquireRetry()) granted++
  return granted
}

const policy = (p: Partial<RetryBudgetPolicy> = {}): RetryBudgetPolicy => ({ ...DEFAULT_RETRY_BUDGET, ...p })

describe('RetryBudget', () => {
  it('lets a quiet container retry minRetriesPerSecond × window seconds, then refuses', () => {
    const budget = new RetryBudget(DEFAULT_RETRY_BUDGET, new ManualClock(1_700_000_000_000))
    expect(budget.snapshot()).toEqual({ requests: 0, retries: 0, available: 5 })
    expect(drain(budget)).toBe(5)
    expect(budget.snapshot()).toEqual({ requests: 0, retries: 5, available: 0 })
  })

  it('adds ratio × requests on top', () => {
    const budget = new RetryBudget(DEFAULT_RETRY_BUDGET, new ManualClock(0))
    for (let i = 0; i < 100; i++) budget.recordRequest()
    expect(budget.snapshot()).toEqual({ requests: 100, retries: 0, available: 25 })
    expect(drain(budget)).toBe(25)
  })

  describe('with the default policy', () => {
    const { minRetriesPerSecond, ratio, windowMs } = DEFAULT_RETRY_BUDGET
    const floor = minRetriesPerSecond * (windowMs / 1_000)

    it('binds in a storm: 100 requests in 10 s, each wanting 4 retries, get at most floor + ratio × 100', () => {
      const clock = new ManualClock(1_700_000_000_000)
      const budget = new RetryBudget(DEFAULT_RETRY_BUDGET, clock)
      let granted = 0
      for (let i = 0; i < 100; i++) {
        clock.t = 1_700_000_000_000 + i * 100
        budget.recordRequest()
        for (let retry = 0; retry < 4; retry++) if (budget.tryAcquireRetry()) granted++
      }
      expect(clock.t - 1_700_000_000_000).toBeLessThan(windowMs)
      // 5 + 0.2 × 100 = 25 of the 400 retries wanted: the storm adds 25 % to upstream load, not 400 %.
      expect(granted).toBeLessThanOrEqual(floor + ratio * 100)
      expect(granted).toBe(25)
    })

    it('still lets a quiet container (one request) make all of its retries', () => {
      const budget = new RetryBudget(DEFAULT_RETRY_BUDGET, new ManualClock(1_700_000_000_000))
      budget.recordRequest()
      const granted = [1, 2, 3, 4].filter(() => budget.tryAcquireRetry()).length
      expect(granted).toBe(4)
    })
  })

  it('grants up to the fractional limit: 0.2 × 11 requests = 2.2 allows 3', () => {
    const budget = new RetryBudget(policy({ minRetriesPerSecond: 0 }), new ManualClock(0))
    for (let i = 0; i < 11; i++) budget.recordRequest()
    expect(budget.snapshot().available).toBe(3)
    expect(drain(budget)).toBe(3)
  })

  it('slides: counts leave the window one second at a time, and all are gone once it has passed', () => {
    const clock = new ManualClock(0)
    const budget = new RetryBudget(policy({ minRetriesPerSecond: 1, windowMs: 3_000 }), clock)
    expect(budget.tryAcquireRetry()).toBe(true)
    clock.t = 1_000
    expect(budget.tryAcquireRetry()).toBe(true)
    clock.t = 2_999
    expect(budget.tryAcquireRetry()).toBe(true)
    expect(budget.tryAcquireRetry()).toBe(false)
    clock.t = 3_000
    expect(budget.snapshot().retries).toBe(2)
    expect(budget.tryAcquireRetry()).toBe(true)
    clock.t = 1_000_000
    expect(budget.snapshot()).toEqual({ requests: 0, retries: 0, available: 3 })
  })

  it('never retries with a zero ratio and no floor', () => {
    const budget = new RetryBudget(policy({ ratio: 0, minRetriesPerSecond: 0 }), new ManualClock(0))
    budget.recordRequest()
    expect(budget.tryAcquireRetry()).toBe(false)
  })

  it('keeps counting into the newest second when the clock steps back', () => {
    const clock = new ManualClock(10_000)
    const budget = new RetryBudget(policy({ minRetriesPerSecond: 0, ratio: 1 }), clock)
    budget.recordRequest()
    clock.t = 5_000
    budget.recordRequest()
    expect(budget.snapshot()).toEqual({ requests: 2, retries: 0, available: 2 })
  })

  it('checks its policy like user options', () => {
    expect(() => new RetryBudget(policy({ windowMs: 1_500 }), new ManualClock(0))).toThrow(BreakwaterConfigError)
  })

  type Op = { kind: 'request' } | { kind: 'retry' } | { kind: 'wait'; ms: number }
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.constant<Op>({ kind: 'request' }) },
    { weight: 4, arbitrary: fc.constant<Op>({ kind: 'retry' }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 4_000 }).map((ms): Op => ({ kind: 'wait', ms })) },
  )
  const budgetPolicy = fc.record({
    ratio: fc.double({ min: 0, max: 10, noNaN: true }),
    minRetriesPerSecond: fc.double({ min: 0, max: 5, noNaN: true }),
    windowMs: fc.integer({ min: 1, max: 10 }).map((s) => s * 1_000),
  })

  it('property: never grants a retry past the formula, agrees with a naive event log, recovers after the window', () => {
    fc.assert(fc.property(budgetPolicy, fc.integer({ min: 0, max: 2 ** 42 }), fc.array(op, { maxLength: 300 }), (p, start, ops) => {
      const clock = new ManualClock(start)
      const budget = new RetryBudget(p, clock)
      const seconds = p.windowMs / 1_000
      const log: { second: number; kind: 'request' | 'retry' }[] = []
      const inWindow = (kind: 'request' | 'retry'): number => {
        const now = Math.floor(clock.t / 1_000)
        return log.filter((e) => e.kind === kind && e.second > now - seconds).length
      }
      const limit = (): number => p.minRetriesPerSecond * seconds + p.ratio * inWindow('request')

      for (const o of ops) {
        if (o.kind === 'wait') clock.t += o.ms
        else if (o.kind === 'request') {
          budget.recordRequest()
          log.push({ second: Math.floor(clock.t / 1_000), kind: 'request' })
        } else {
          const allowed = inWindow('retry') < limit()
          expect(budget.tryAcquireRetry()).toBe(allowed)
          if (allowed) log.push({ second: Math.floor(clock.t / 1_000), kind: 'retry' })
          // The bound itself: a grant never takes retries in the window past ceil(limit). (A refusal can see more:
          // old requests leave the window while the retries they paid for, made later, are still in it.)
          if (allowed) expect(inWindow('retry')).toBeLessThanOrEqual(Math.ceil(limit()))
        }
        const snap = budget.snapshot()
        expect(snap.requests).toBe(inWindow('request'))
        expect(snap.retries).toBe(inWindow('retry'))
      }
      const available = budget.snapshot().available
      expect(drain(budget)).toBe(available)

      clock.t += p.windowMs
      const floor = p.minRetriesPerSecond * seconds
      expect(budget.snapshot()).toEqual({ requests: 0, retries: 0, available: Math.ceil(floor) })
      expect(drain(budget)).toBe(Math.ceil(floor))
    }))
  })
})
