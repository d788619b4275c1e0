/**
 * What every BreakerStore must do with a probe change (BreakerStore.compareAndSet's `change`), as one list of
 * cases run against each store: the in-container ones here (store-contract.test.ts) and the DynamoDB store on
 * DynamoDB Local (test/aws/dynamodb/store.dynamodb-local.test.ts). Each case gets fresh stores sharing one state,
 * as containers sharing a table do, and a way to write the first record.
 */
import { describe, expect, it } from '@jest/globals'
import * as machine from '../../../src/core/breaker/machine.js'
import { probeChange } from '../../../src/core/breaker/probe-change.js'
import { resolvePolicy } from '../../../src/core/breaker/policy.js'
import { initialRecord, type BreakerRecord, type BreakerStore } from '../../../src/core/breaker/types.js'

export const CONTRACT_KEY = 'anthropic.claude-3-haiku@us-east-1'

export interface SharedStores {
  /** `n` stores over one shared state (one per simulated container). */
  readonly stores: readonly BreakerStore[]
  /** The time the stores' clocks read. */
  readonly now: number
}

export function probeChangeContract(name: string, make: (n: number) => Promise<SharedStores>): void {
  const policy = resolvePolicy({ probeStages: [1, 5, 10], permitLeaseMs: 30_000 }, 'contract')
  const seedHalfOpen = async (store: BreakerStore, now: number, o: Partial<BreakerRecord> = {}): Promise<BreakerRecord> => {
    const record: BreakerRecord = {
      ...initialRecord(), state: 'half-open', version: 1, changedAt: now - 1_000, openUntil: now - 1_000, opens: 1, stage: 1, ...o,
    }
    const result = await store.compareAndSet(CONTRACT_KEY, initialRecord(), record)
    expect(result.ok).toBe(true)
    return result.record
  }

  describe(`${name}: probe changes`, () => {
    it('containers taking different permits of one stage from the same record all land, up to the stage size', async () => {
      const { stores, now } = await make(7)
      const seeded = await seedHalfOpen(stores[0] as BreakerStore, now)
      // Every container decides on the same record (version 1), as a fleet racing one stage does, then writes.
      const seen = await Promise.all(stores.map((store) => store.read(CONTRACT_KEY, now)))
      expect(seen.map((r) => r.version)).toEqual(stores.map(() => seeded.version))
      const results = []
      for (const [i, store] of stores.entries()) {
        const expected = seen[i] as BreakerRecord
        const next = machine.admit(expected, policy, now, () => `c${i}`).next as BreakerRecord
        results.push(await store.compareAndSet(CONTRACT_KEY, expected, next, probeChange(expected, next, policy)))
      }
      expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true, false, false])
      const last = results[4]?.record as BreakerRecord
      expect(last).toMatchObject({ state: 'half-open', stage: 1, version: 6 })
      expect(last.permits.map((p) => p.id).sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4'])
      // A loser gets the record as stored: full, so the machine refuses it without another write.
      expect(results[6]?.record).toEqual(last)
    })

    it('a success within the stage lands on a newer record; the stage\'s last one is a transition, decided again', async () => {
      const { stores, now } = await make(2)
      const [a, b] = stores as [BreakerStore, BreakerStore]
      const permits = [1, 2, 3, 4, 5].map((i) => ({ id: `p${i}`, expiresAt: now + 20_000 + i }))
      await seedHalfOpen(a, now, { permits })
      const stale = await b.read(CONTRACT_KEY, now)
      for (const id of ['p1', 'p2', 'p3', 'p4']) {
        const next = machine.onSuccess(stale, policy, now, id) as BreakerRecord
        const result = await b.compareAndSet(CONTRACT_KEY, stale, next, probeChange(stale, next, policy))
        expect(result.ok).toBe(true)
      }
      const four = await a.read(CONTRACT_KEY, now + 10_000)
      expect(four).toMatchObject({ stageSuccesses: 4, permits: [permits[4]], version: 5 })
      // p5's success decided on the stale record looks like a pass; it would complete the stage, so it does not fit.
      const next = machine.onSuccess(stale, policy, now, 'p5') as BreakerRecord
      const lost = await b.compareAndSet(CONTRACT_KEY, stale, next, probeChange(stale, next, policy))
      expect(lost).toEqual({ ok: false, record: four })
      // Decided again on the record it got back: the next stage, by compare-and-set on the version.
      const advanced = machine.onSuccess(lost.record, policy, now, 'p5') as BreakerRecord
      expect(probeChange(lost.record, advanced, policy)).toBeUndefined()
      expect(await b.compareAndSet(CONTRACT_KEY, lost.record, advanced)).toMatchObject({ ok: true, record: { stage: 2, permits: [] } })
    })

    it('a transition decided before a change landed loses to it (every change bumps the version)', async () => {
      const { stores, now } = await make(2)
      const [a, b] = stores as [BreakerStore, BreakerStore]
      await seedHalfOpen(a, now, { permits: [{ id: 'p1', expiresAt: now + 20_000 }] })
      const before = await b.read(CONTRACT_KEY, now)
      const taken = machine.admit(before, policy, now, () => 'p2').next as BreakerRecord
      expect((await a.compareAndSet(CONTRACT_KEY, before, taken, probeChange(before, taken, policy))).ok).toBe(true)
      const reopen = machine.onFailure(before, { calls: 1, failures: 1, consecutiveFailures: 1 }, policy, now, 'p1') as BreakerRecord
      const result = await b.compareAndSet(CONTRACT_KEY, before, reopen)
      expect(result.ok).toBe(false)
      expect(result.record.permits.map((p) => p.id).sort()).toEqual(['p1', 'p2'])
    })

    it('a change of another episode does not fit the record that replaced it', async () => {
      const { stores, now } = await make(1)
      const [a] = stores as [BreakerStore]
      const old = await seedHalfOpen(a, now)
      const next = machine.admit(old, policy, now, () => 'late').next as BreakerRecord
      const change = probeChange(old, next, policy)
      const reopened = { ...old, state: 'open' as const, version: 2, changedAt: now, openUntil: now + 5_000, opens: 2 }
      expect((await a.compareAndSet(CONTRACT_KEY, old, reopened)).ok).toBe(true)
      expect(await a.compareAndSet(CONTRACT_KEY, old, next, change)).toMatchObject({ ok: false, record: { state: 'open', version: 2 } })
    })
  })
}
