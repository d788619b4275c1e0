import { CircuitBreaker } from '../../../src/core/breaker/circuit-breaker.js'
import { MemoryBreakerStore } from '../../../src/core/breaker/memory-store.js'
import type { BreakerEvent, BreakerPolicy, BreakerRecord, BreakerStore } from '../../../src/core/breaker/types.js'
import { BreakwaterConfigError } from '../../../src/core/errors.js'
import { FakeClock } from '../../support/fake-clock.js'

const policy: Partial<BreakerPolicy> = {
  cooldownMs: 1000, maxCooldownMs: 4000, probeStages: [1, 2], permitLeaseMs: 500, consecutiveFailures: 2,
}

function setup(store: BreakerStore = new MemoryBreakerStore(), clock = new FakeClock(10_000)) {
  const events: BreakerEvent[] = []
  let n = 0
  const make = () => new CircuitBreaker({ store, clock, policy, listener: (e) => events.push(e), newPermitId: () => `p${++n}` })
  return { store, clock, events, breaker: make(), other: make() }
}
const transitions = (events: BreakerEvent[]) =>
  events.flatMap((e) => (e.type === 'transition' ? [`${e.from}>${e.to}`] : []))

describe('CircuitBreaker', () => {
  it('validates its policy at construction', () => {
    expect(() => new CircuitBreaker({ store: new MemoryBreakerStore(), policy: { probeStages: [] } }))
      .toThrow(BreakwaterConfigError)
  })

  it('runs the whole cycle: trip, cool down, probe in stages, close — and tells the listener', async () => {
    const { breaker, other, clock, events } = setup()
    const k = 'us-east-1/m'
    for (let i = 0; i < 2; i++) await breaker.onFailure(k, await breaker.admit(k))
    expect(await other.admit(k)).toEqual({ allowed: false, state: 'open', retryInMs: 1000 })

    await clock.advance(1000)
    const probe = await other.admit(k)
    expect(probe).toEqual({ allowed: true, state: 'half-open', permit: { id: 'p1', expiresAt: 11_500 } })
    expect(await breaker.admit(k)).toEqual({ allowed: false, state: 'half-open', retryInMs: 500 })
    await other.onSuccess(k, probe)
    expect(await breaker.read(k)).toMatchObject({ state: 'half-open', stage: 1, stageSuccesses: 0 })

    const [a, b, c] = [await breaker.admit(k), await other.admit(k), await breaker.admit(k)]
    expect([a.allowed, b.allowed, c.allowed]).toEqual([true, true, false])
    await breaker.onSuccess(k, a)
    await other.onSuccess(k, b)
    expect(await breaker.read(k)).toMatchObject({ state: 'closed', opens: 0, version: 7 })
    expect(await breaker.admit(k)).toEqual({ allowed: true, state: 'closed' })

    expect(transitions(events)).toEqual(['closed>open', 'open>half-open', 'half-open>closed'])
    expect(events.filter((e) => e.type === 'probe-granted'))
      .toEqual([
        { type: 'probe-granted', key: k, stage: 0, permitId: 'p1' },
        { type: 'probe-granted', key: k, stage: 1, permitId: 'p2' },
        { type: 'probe-granted', key: k, stage: 1, permitId: 'p3' },
      ])
  })

  it('reopens with a doubled cooldown when a probe fails; a released probe frees its slot', async () => {
    const { breaker, clock } = setup()
    for (let i = 0; i < 2; i++) await breaker.onFailure('k', await breaker.admit('k'))
    await clock.advance(1000)
    const first = await breaker.admit('k')
    await breaker.release('k', first)
    const second = await breaker.admit('k')
    expect(second.allowed && second.permit?.id).toBe('p2')
    await breaker.onFailure('k', second)
    expect(await breaker.read('k')).toMatchObject({ state: 'open', opens: 2, openUntil: 11_000 + 2000 })
  })

  it('a stale success from a straggler without a permit does not advance the ramp', async () => {
    const { breaker, clock } = setup()
    const early = await breaker.admit('k')
    for (let i = 0; i < 2; i++) await breaker.onFailure('k', await breaker.admit('k'))
    await clock.advance(1000)
    await breaker.admit('k')
    await breaker.onSuccess('k', early)
    await breaker.onFailure('k', early)
    expect(await breaker.read('k')).toMatchObject({ state: 'half-open', stage: 0, stageSuccesses: 0 })
  })

  it('adopts the winner of a race: one open → half-open, one probe', async () => {
    const { breaker, other, clock, events } = setup()
    for (let i = 0; i < 2; i++) await breaker.onFailure('k', await breaker.admit('k'))
    await clock.advance(1000)
    const answers = await Promise.all([breaker.admit('k'), other.admit('k'), breaker.admit('k')])
    // The losers re-decided against the winner's record: a full stage, not a contention give-up.
    expect(answers.filter((a) => !a.allowed)).toEqual([
      { allowed: false, state: 'half-open', retryInMs: 500 }, { allowed: false, state: 'half-open', retryInMs: 500 },
    ])
    expect(transitions(events)).toEqual(['closed>open', 'open>half-open'])
    expect((await breaker.read('k')).version).toBe(2)
  })

  it('fan-out: twenty admissions racing one half-open stage of five take exactly five permits', async () => {
    const inner = new MemoryBreakerStore()
    // Every store call yields, so the twenty read the same record and race their compare-and-sets.
    const racy: BreakerStore = {
      read: async (k, now) => { await Promise.resolve(); return inner.read(k, now) },
      recordOutcome: (...args) => inner.recordOutcome(...args),
      compareAndSet: async (k, e, n) => { await Promise.resolve(); return inner.compareAndSet(k, e, n) },
    }
    const start = await inner.read('k', 0)
    await inner.compareAndSet('k', start, { ...start, state: 'half-open', version: 1, changedAt: 1, stage: 1 })
    const clock = new FakeClock(10_000)
    let n = 0
    const breaker = new CircuitBreaker({ store: racy, clock, policy: { ...policy, probeStages: [1, 5, 10] }, newPermitId: () => `p${++n}` })
    const admissions = await Promise.all(Array.from({ length: 20 }, () => breaker.admit('k')))
    expect(admissions.filter((a) => a.allowed)).toHaveLength(5)
    expect((await inner.read('k', 0)).permits).toHaveLength(5)
  })

  it(
    'gives up after 64 lost races (a store that accepts nothing) and refuses the probe rather than hand out an unrecorded permit',
    async () => {
      const inner = new MemoryBreakerStore()
      let bump = 0
      const hot: BreakerStore = {
        read: (k, now) => inner.read(k, now),
        recordOutcome: (...args) => inner.recordOutcome(...args),
        // Someone else always writes first: the stored version moves under every attempt.
        compareAndSet: async (k, expected, next) => {
          const current = await inner.read(k, 0)
          const moved: BreakerRecord = { ...current, version: current.version + 1, permits: [] }
          await inner.compareAndSet(k, current, moved)
          bump++
          return inner.compareAndSet(k, expected, next)
        },
      }
      await inner.compareAndSet('k', await inner.read('k', 0), {
        ...(await inner.read('k', 0)), state: 'half-open', version: 1, changedAt: 1,
      })
      const { breaker } = setup(hot)
      expect(await breaker.admit('k')).toEqual({ allowed: false, state: 'half-open', retryInMs: 100 })
      expect(bump).toBe(64)
    },
  )

  it(
    'fails open when the store throws: one store error, local state seeded from the last shared record, back after localFallbackMs',
    async () => {
      const inner = new MemoryBreakerStore()
      let down = false
      const guard = <T>(f: () => Promise<T>): Promise<T> => (down ? Promise.reject(new Error('dynamo down')) : f())
      const flaky: BreakerStore = {
        read: (k, now) => guard(() => inner.read(k, now)),
        recordOutcome: (...args) => guard(() => inner.recordOutcome(...args)),
        compareAndSet: (k, e, n) => guard(() => inner.compareAndSet(k, e, n)),
      }
      const clock = new FakeClock(10_000)
      const events: BreakerEvent[] = []
      const breaker = new CircuitBreaker({ store: flaky, clock, policy, listener: (e) => events.push(e), localFallbackMs: 5_000 })
      down = true
      const admission = await breaker.admit('k')
      expect(admission).toEqual({ allowed: true, state: 'closed' })
      await expect(breaker.onFailure('k', admission)).resolves.toBeUndefined()
      await expect(breaker.onSuccess('k', admission)).resolves.toBeUndefined()
      expect(await breaker.read('k')).toMatchObject({ state: 'closed', version: 0 })
      // Reported once: the breaker then runs on local state instead of hitting the failing store on every call.
      expect(events.map((e) => (e.type === 'store-error' ? e.operation : e.type))).toEqual(['read'])

      // Back on the shared store after localFallbackMs: trip it there, then lose the store again.
      down = false
      await clock.advance(5_000)
      for (let i = 0; i < 2; i++) await breaker.onFailure('k', await breaker.admit('k'))
      expect(await breaker.admit('k')).toMatchObject({ allowed: false, state: 'open' })
      expect(await inner.read('k', 0)).toMatchObject({ state: 'open' })
      down = true
      await clock.advance(100)
      // A cooldown it already knew of is honoured on local state, and the ramp starts when it ends.
      expect(await breaker.admit('k')).toEqual({ allowed: false, state: 'open', retryInMs: 900 })
      await clock.advance(900)
      expect(await breaker.admit('k')).toMatchObject({ allowed: true, state: 'half-open' })
    },
  )

  it('survives a listener that throws', async () => {
    const store = new MemoryBreakerStore()
    const breaker = new CircuitBreaker({
      store, policy, clock: new FakeClock(), listener: () => { throw new Error('metrics broke') },
    })
    for (let i = 0; i < 2; i++) await breaker.onFailure('k', await breaker.admit('k'))
    expect((await store.read('k', 0)).state).toBe('open')
  })
})
