/**
 * A close starts the window over: the failures that tripped the breaker, and whatever was recorded while it was
 * open or half-open, must not count once it has closed — neither towards the rate nor towards the streak.
 */
import { CircuitBreaker } from '../../../src/core/breaker/circuit-breaker.js'
import { MemoryBreakerStore } from '../../../src/core/breaker/memory-store.js'
import type { BreakerEvent, BreakerPolicy, BreakerStore } from '../../../src/core/breaker/types.js'
import { FakeClock } from '../../support/fake-clock.js'

const KEY = 'us-east-1/m'

function setup(policy: Partial<BreakerPolicy>, store: BreakerStore = new MemoryBreakerStore(), start = 100_400) {
  const clock = new FakeClock(start)
  const events: BreakerEvent[] = []
  let n = 0
  const make = () => new CircuitBreaker({ store, clock, policy, listener: (e) => events.push(e), newPermitId: () => `p${++n}` })
  const breaker = make()
  const call = async (outcome: 'success' | 'failure', on = breaker) => {
    const admission = await on.admit(KEY)
    if (!admission.allowed) throw new Error(`refused: ${JSON.stringify(admission)}`)
    await (outcome === 'success' ? on.onSuccess(KEY, admission) : on.onFailure(KEY, admission))
  }
  /** Cools down and walks every probe stage to a close, `stepMs` apart. */
  const rampToClose = async (stepMs: number) => {
    await clock.advanceTo((await breaker.read(KEY)).openUntil)
    for (const size of breaker.policy.probeStages) {
      const probes = []
      for (let i = 0; i < size; i++) probes.push(await breaker.admit(KEY))
      for (const probe of probes) await breaker.onSuccess(KEY, probe)
      await clock.advance(stepMs)
    }
    expect(await breaker.read(KEY)).toMatchObject({ state: 'closed', opens: 0 })
  }
  return { clock, events, breaker, make, call, rampToClose }
}

describe('the window after a close', () => {
  it('the reviewer\'s case: trip, full 1/5/10 ramp, close; one failure does not re-trip, fresh failures do', async () => {
    // consecutiveFailures out of the way: this is about the rate (default 30 % over at least 10 calls).
    const { clock, breaker, call, rampToClose } = setup({ cooldownMs: 5000, windowMs: 60_000, consecutiveFailures: 100 })
    for (let i = 0; i < 10; i++) {
      await call('failure')
      await clock.advance(50)
    }
    expect(await breaker.read(KEY)).toMatchObject({ state: 'open', opens: 1 })
    await rampToClose(200)

    // Before the fix: 11 failures in 27 calls (10 before the open, 16 probes, this one) = 41 % → open again.
    await call('failure')
    await clock.advance(1000)
    await call('failure')
    expect(await breaker.read(KEY)).toMatchObject({ state: 'closed' })

    // Fresh trouble still trips it: 10 calls since the close (counting the rate from the next full second),
    // 4 of them failures.
    for (let i = 0; i < 6; i++) await call('success')
    await call('failure')
    await call('failure')
    expect((await breaker.read(KEY)).state).toBe('closed') // 9 calls: under minimumCalls
    await call('failure')
    const reopened = await breaker.read(KEY)
    expect(reopened).toMatchObject({ state: 'open', opens: 1 })
    expect(reopened.openUntil - reopened.changedAt).toBe(5000) // the first cooldown: the close was a full one
  })

  it('a streak that spans a close does not trip it', async () => {
    // The store lost the write of every success (say DynamoDB throttled it), so the probes never broke the streak.
    const inner = new MemoryBreakerStore()
    const store: BreakerStore = {
      read: (k, now) => inner.read(k, now),
      compareAndSet: (k, e, n) => inner.compareAndSet(k, e, n),
      recordOutcome: (k, outcome, ...rest) =>
        outcome === 'success' ? Promise.reject(new Error('throttled')) : inner.recordOutcome(k, outcome, ...rest),
    }
    const { breaker, call, rampToClose, events } = setup({ cooldownMs: 1000, probeStages: [1, 2], consecutiveFailures: 3 }, store)
    for (let i = 0; i < 3; i++) await call('failure')
    expect((await breaker.read(KEY)).state).toBe('open')
    await rampToClose(0)
    // The first lost write sends the breaker to local state (seeded from the shared record) for localFallbackMs:
    // one store error, not one per write.
    expect(events.filter((e) => e.type === 'store-error')).toHaveLength(1)

    // Right at the close (same ms): before the fix the streak read 4, then 5.
    await call('failure')
    await call('failure')
    expect((await breaker.read(KEY)).state).toBe('closed')
    await call('failure')
    expect(await breaker.read(KEY)).toMatchObject({ state: 'open', opens: 1 })
  })

  it('does not trip on counts taken against an older record than the one stored', async () => {
    // A store that answers every call with the whole history it holds, as one that honours an old sinceMs would.
    const inner = new MemoryBreakerStore()
    const seen: number[] = []
    const store: BreakerStore = {
      read: (k, now) => inner.read(k, now),
      compareAndSet: (k, e, n) => inner.compareAndSet(k, e, n),
      recordOutcome: async (_k, _o, _now, _w, sinceMs) => {
        seen.push(sinceMs)
        return { calls: 50, failures: 50, consecutiveFailures: 50 }
      },
    }
    const { breaker, make, clock } = setup({ cooldownMs: 1000, probeStages: [1] }, store)
    const stale = make()
    const admitted = await stale.admit(KEY) // it saw the record before the trip below
    await breaker.onFailure(KEY, await breaker.admit(KEY))
    await clock.advance(1000)
    await breaker.onSuccess(KEY, await breaker.admit(KEY))
    const closed = await breaker.read(KEY)
    expect(closed).toMatchObject({ state: 'closed', changedAt: 101_400 })

    await stale.onFailure(KEY, admitted)
    expect(seen.at(-1)).toBe(0)
    expect(await breaker.read(KEY)).toEqual(closed)
    // Its next call was admitted against the stored record: counts since the close are what they are.
    await stale.onFailure(KEY, await stale.admit(KEY))
    expect(seen.at(-1)).toBe(101_400)
    expect((await breaker.read(KEY)).state).toBe('open')
  })
})
