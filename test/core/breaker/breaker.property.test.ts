/**
 * Properties of one breaker against a model: when it trips, how its cooldown grows, that a leaked permit frees
 * its slot after the lease, and that the store's compare-and-set never lets a stale writer win.
 */
import fc from 'fast-check'
import { CircuitBreaker } from '../../../src/core/breaker/circuit-breaker.js'
import { MemoryBreakerStore } from '../../../src/core/breaker/memory-store.js'
import { initialRecord, type BreakerPolicy } from '../../../src/core/breaker/types.js'
import { FakeClock } from '../../support/fake-clock.js'

const KEY = 'k'
const make = (policy: Partial<BreakerPolicy>) => {
  const clock = new FakeClock(50_000)
  const store = new MemoryBreakerStore()
  let n = 0
  return { clock, store, breaker: new CircuitBreaker({ store, clock, policy, newPermitId: () => `p${++n}` }) }
}
const stagesArb = fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }).map((a) => a.sort((x, y) => x - y))

describe('breaker properties', () => {
  it('trips on N consecutive failures at any volume, and a success resets the streak', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(fc.boolean(), { maxLength: 40 }),
      async (streak, outcomes) => {
        const { breaker } = make({ consecutiveFailures: streak, minimumCalls: 1000 })
        let run = 0
        for (const failed of outcomes) {
          const admission = await breaker.admit(KEY)
          if (!admission.allowed) break
          if (failed) await breaker.onFailure(KEY, admission)
          else await breaker.onSuccess(KEY, admission)
          run = failed ? run + 1 : 0
          expect((await breaker.read(KEY)).state).toBe(run >= streak ? 'open' : 'closed')
          if (run >= streak) break
        }
      }))
  })

  it('trips on the failure rate only once the window holds minimumCalls', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 20 }), fc.double({ min: 0.05, max: 1, noNaN: true }), fc.array(fc.boolean(), { maxLength: 60 }),
      async (minimumCalls, threshold, outcomes) => {
        const { breaker } = make({ minimumCalls, failureRateThreshold: threshold, consecutiveFailures: 10_000 })
        let calls = 0
        let failures = 0
        for (const failed of outcomes) {
          const admission = await breaker.admit(KEY)
          if (!admission.allowed) break
          calls++
          if (failed) failures++
          if (failed) await breaker.onFailure(KEY, admission)
          else await breaker.onSuccess(KEY, admission)
          const trips = failed && calls >= minimumCalls && failures / calls >= threshold
          expect((await breaker.read(KEY)).state).toBe(trips ? 'open' : 'closed')
          if (calls < minimumCalls) expect(trips).toBe(false)
          if (trips) break
        }
      }))
  })

  it('after a close, trips on the failure rate of the outcomes since the close only', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 20 }), fc.double({ min: 0.05, max: 0.85, noNaN: true }), stagesArb,
      fc.nat({ max: 999 }), fc.array(fc.boolean(), { maxLength: 30 }), fc.nat({ max: 2500 }), fc.array(fc.boolean(), { maxLength: 60 }),
      async (minimumCalls, threshold, probeStages, offset, before, gap, outcomes) => {
        const { breaker, clock } = make({
          minimumCalls, failureRateThreshold: threshold, consecutiveFailures: 10_000, probeStages, cooldownMs: 1000,
        })
        await clock.advance(offset)
        // Any history, then failures until it trips (200 of them push any mix past a threshold of 0.85).
        for (const failed of [...before, ...Array<boolean>(200).fill(true)]) {
          const admission = await breaker.admit(KEY)
          if (!admission.allowed) break
          if (failed) await breaker.onFailure(KEY, admission)
          else await breaker.onSuccess(KEY, admission)
        }
        await clock.advanceTo((await breaker.read(KEY)).openUntil)
        for (const size of probeStages) {
          const probes = []
          for (let i = 0; i < size; i++) probes.push(await breaker.admit(KEY))
          for (const p of probes) await breaker.onSuccess(KEY, p)
        }
        const closedAt = (await breaker.read(KEY)).changedAt
        expect((await breaker.read(KEY)).state).toBe('closed')

        await clock.advance(gap)
        // The rate counts whole 1-second buckets from the first one starting after the close.
        const counted = clock.now() >= (Math.floor(closedAt / 1000) + 1) * 1000
        let calls = 0
        let failures = 0
        for (const failed of outcomes) {
          const admission = await breaker.admit(KEY)
          if (failed) await breaker.onFailure(KEY, admission)
          else await breaker.onSuccess(KEY, admission)
          if (counted) calls++
          if (counted && failed) failures++
          const trips = failed && calls >= minimumCalls && failures / calls >= threshold
          expect((await breaker.read(KEY)).state).toBe(trips ? 'open' : 'closed')
          if (trips) break
        }
      }))
  })

  it('grows the cooldown on every reopen up to the cap, and starts over after a close', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 10_000 }), fc.constantFrom(1, 1.5, 2, 3, 10), fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 12 }), stagesArb,
      async (cooldownMs, multiplier, capFactor, reopens, probeStages) => {
        const maxCooldownMs = cooldownMs * capFactor
        const { breaker, clock } = make({ cooldownMs, cooldownMultiplier: multiplier, maxCooldownMs, probeStages, consecutiveFailures: 1 })
        const cooldowns: number[] = []
        const openedFor = async () => { const r = await breaker.read(KEY); cooldowns.push(r.openUntil - r.changedAt); return r }
        await breaker.onFailure(KEY, await breaker.admit(KEY))
        let record = await openedFor()
        for (let i = 0; i < reopens; i++) {
          await clock.advanceTo(record.openUntil)
          await breaker.onFailure(KEY, await breaker.admit(KEY))
          record = await openedFor()
        }
        expect(cooldowns).toEqual(cooldowns.map((_, i) => Math.min(maxCooldownMs, cooldownMs * multiplier ** i)))
        cooldowns.slice(1).forEach((c, i) => expect(c).toBeGreaterThanOrEqual(cooldowns[i]!))
        expect(Math.max(...cooldowns)).toBeLessThanOrEqual(maxCooldownMs)

        await clock.advanceTo(record.openUntil)
        for (const size of probeStages) {
          const probes = []
          for (let i = 0; i < size; i++) probes.push(await breaker.admit(KEY))
          expect(probes.every((p) => p.allowed && p.permit)).toBe(true)
          expect((await breaker.admit(KEY)).allowed).toBe(false)
          for (const p of probes) await breaker.onSuccess(KEY, p)
        }
        expect(await breaker.read(KEY)).toMatchObject({ state: 'closed', opens: 0 })
        await breaker.onFailure(KEY, await breaker.admit(KEY))
        expect((await openedFor()).opens).toBe(1)
        expect(cooldowns.at(-1)).toBe(cooldownMs)
      }))
  })

  it('frees the slots of leaked permits exactly when their lease runs out', async () => {
    await fc.assert(fc.asyncProperty(stagesArb, fc.integer({ min: 1, max: 60_000 }), fc.nat({ max: 120_000 }),
      async (probeStages, permitLeaseMs, wait) => {
        const { breaker, clock } = make({ probeStages, permitLeaseMs, consecutiveFailures: 1, cooldownMs: 1000 })
        await breaker.onFailure(KEY, await breaker.admit(KEY))
        await clock.advance(1000)
        const size = probeStages[0]!
        for (let i = 0; i < size; i++) expect((await breaker.admit(KEY)).allowed).toBe(true) // then never reported
        await clock.advance(wait)
        const after = await breaker.admit(KEY)
        if (wait >= permitLeaseMs) expect(after).toMatchObject({ allowed: true, state: 'half-open' })
        else expect(after).toEqual({ allowed: false, state: 'half-open', retryInMs: Math.min(1_000, permitLeaseMs - wait) })
      }))
  })

  it('never lets a compare-and-set with a stale version overwrite the stored record', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.nat({ max: 6 }), { maxLength: 40 }), async (expectedVersions) => {
      const store = new MemoryBreakerStore()
      let stored = 0
      for (const expected of expectedVersions) {
        const base = { ...initialRecord(), version: expected }
        const result = await store.compareAndSet(KEY, base, { ...base, version: expected + 1 })
        expect(result.ok).toBe(expected === stored)
        if (result.ok) stored = expected + 1
        expect(result.record.version).toBe(stored)
        expect((await store.read(KEY, 0)).version).toBe(stored)
      }
    }))
  })
})
