/**
 * The fleet breaker on the real DynamoDB protocol: 20–50 simulated Lambda instances (each a CircuitBreaker over its
 * own DynamoDBBreakerStore and client) race over real HTTP against one table. Time is a shared FakeClock, so only
 * the interleaving of requests is left to chance, and every assertion holds for any interleaving.
 */
import { describe, expect, it } from '@jest/globals'
import { stageSize } from '../../../src/core/breaker/machine.js'
import { resolvePolicy } from '../../../src/core/breaker/policy.js'
import type { Admission, BreakerPolicy } from '../../../src/core/breaker/types.js'
import type { TestDynamoDB } from '../../../tools/dynamodb-local/dynamodb.js'
import { useTable } from '../../support/dynamodb-table.js'
import type { FakeClock } from '../../support/fake-clock.js'
import { fleet, KEY, openRecord, seed, type Fleet, type FleetOptions } from '../../support/fleet.js'

const T0 = 1_700_000_000_250
let db!: TestDynamoDB
let table!: string
let clock!: FakeClock
useTable(T0, (f) => ({ db, table, clock } = f))
const make = (o: Omit<FleetOptions, 'db' | 'table' | 'clock'>): Fleet => fleet({ db, table, clock, ...o })

describe('an outage', () => {
  it('50 instances failing at once: exactly one closed → open write, and every instance then sees open', async () => {
    const f = make({
      size: 50, refreshMs: 10_000,
      policy: { minimumCalls: 10, failureRateThreshold: 0.5, consecutiveFailures: 100, windowMs: 10_000, cooldownMs: 60_000 },
    })
    // Round 1: the instances whose window query saw >= 10 calls race to trip it; the losers learn the open record
    // from their failed write. Round 2: the others (their failure dropped the cached "closed") read it afresh.
    for (let round = 0; round < 2; round++) {
      await f.all(async (x) => {
        const admission = await x.breaker.admit(KEY)
        if (admission.allowed) await x.breaker.onFailure(KEY, admission)
      })
      await clock.advance(100)
    }
    expect(f.transitions()).toEqual(['closed>open'])
    const stored = await f.stored()
    expect(stored).toMatchObject({ state: 'open', version: 1, opens: 1 })
    expect(f.writes).toEqual([stored])
    const after = await f.all((x) => x.breaker.admit(KEY))
    expect(after.every((a) => !a.allowed && a.state === 'open')).toBe(true)
  })
})

describe('the half-open ramp', () => {
  it('one probe failing among nine racing successes reopens the breaker: no verdict is lost to contention', async () => {
    const policy: Partial<BreakerPolicy> = { probeStages: [10], permitLeaseMs: 60_000, cooldownMs: 1_000 }
    await seed(db, table, openRecord(T0, T0 + 1_000))
    await clock.advance(1_000)
    const f = make({ size: 10, policy })
    const admissions: Admission[] = []
    for (const x of f.instances) admissions.push(await x.breaker.admit(KEY))
    expect(admissions.every((a) => a.allowed && a.permit)).toBe(true)
    await f.all((x) => (x.id === 4 ? x.breaker.onFailure(KEY, admissions[x.id]!) : x.breaker.onSuccess(KEY, admissions[x.id]!)))
    expect(await f.stored()).toMatchObject({ state: 'open', opens: 2, permits: [] })
  })

  it('fan-out: 20 instances racing each wave fill every stage (1, then 5, then 10): recovery in three waves', async () => {
    const policy: Partial<BreakerPolicy> = { probeStages: [1, 5, 10], permitLeaseMs: 60_000, cooldownMs: 1_000 }
    await seed(db, table, openRecord(T0, T0 + 1_000))
    await clock.advance(1_000)
    const f = make({ size: 20, policy, refreshMs: 1 })
    const granted: number[] = []
    for (let wave = 0; wave < 3; wave++) {
      // Every instance asks at once; a loser of a compare-and-set decides again on the winner's record.
      const admissions = await f.all((x) => x.breaker.admit(KEY))
      granted.push(admissions.filter((a) => a.allowed).length)
      await f.all(async (x) => { const a = admissions[x.id]!; if (a.allowed) await x.breaker.onSuccess(KEY, a) })
      await clock.advance(10)
    }
    expect(granted).toEqual([1, 5, 10])
    expect(await f.stored()).toMatchObject({ state: 'closed' })
  })

  it('never has more probes out than the stage allows (1, 5, 10), fleet-wide, then closes once', async () => {
    const policy: Partial<BreakerPolicy> = { probeStages: [1, 5, 10], permitLeaseMs: 60_000, cooldownMs: 1_000 }
    const stages = resolvePolicy(policy, 'test')
    await seed(db, table, openRecord(T0, T0 + 1_000))
    await clock.advance(1_000)
    const f = make({ size: 30, policy })
    const held = new Map<number, { admission: Admission; permitId: string }>()
    const sampled: number[] = []
    for (let round = 0; round < 200 && (await f.stored()).state !== 'closed'; round++) {
      await f.all(async (x) => {
        const mine = held.get(x.id)
        if (mine === undefined) {
          const admission = await x.breaker.admit(KEY)
          if (admission.allowed && admission.permit) held.set(x.id, { admission, permitId: admission.permit.id })
          return
        }
        // Reported once, as the engine does: a verdict must land however many instances race to write theirs.
        await x.breaker.onSuccess(KEY, mine.admission)
        held.delete(x.id)
      })
      const now = await f.stored()
      if (now.state === 'half-open') expect(now.permits.length + now.stageSuccesses).toBeLessThanOrEqual(stageSize(stages, now.stage))
      sampled.push(now.permits.length)
      await clock.advance(100)
    }
    expect(await f.stored()).toMatchObject({ state: 'closed', opens: 0, permits: [] })
    // Every record ever stored: its probes out (+ those already passed) within the stage.
    for (const r of f.writes.filter((w) => w.state === 'half-open')) {
      expect(r.permits.length + r.stageSuccesses).toBeLessThanOrEqual(stageSize(stages, r.stage))
    }
    const granted = [0, 1, 2].map((stage) => f.events.filter((e) => e.type === 'probe-granted' && e.stage === stage).length)
    expect(granted).toEqual([1, 5, 10])
    expect(f.transitions()).toEqual(['open>half-open', 'half-open>closed'])
    expect(Math.max(...sampled)).toBeGreaterThan(1) // the fleet did probe in parallel
  })
})

describe('a leaked permit', () => {
  it('blocks its slot until its lease (+ clock skew allowance) ends, then one instance reclaims it', async () => {
    const policy = { probeStages: [1, 5], permitLeaseMs: 5_000, clockSkewMs: 500, cooldownMs: 1_000 }
    await seed(db, table, openRecord(T0, T0 + 1_000))
    await clock.advance(1_000)
    const f = make({ size: 20, policy })
    const [leaker, ...others] = f.instances as [Fleet['instances'][number], ...Fleet['instances']]
    const leaked = await leaker.breaker.admit(KEY) // granted, and its holder dies without a word
    expect(leaked).toMatchObject({ allowed: true, state: 'half-open', permit: { expiresAt: T0 + 6_000 } })

    for (const at of [T0 + 1_000, T0 + 4_000, T0 + 6_499]) {
      await clock.advanceTo(at)
      const answers = await Promise.all(others.map((x) => x.breaker.admit(KEY)))
      // Refused until the lease (+ skew) ends; the hint says "soon" (at most 1 s), not the whole lease.
      expect(answers).toEqual(Array(19).fill({ allowed: false, state: 'half-open', retryInMs: Math.min(1_000, T0 + 6_500 - at) }))
    }
    await clock.advanceTo(T0 + 6_500)
    const answers = await Promise.all(others.map((x) => x.breaker.admit(KEY)))
    const winners = answers.filter((a) => a.allowed)
    expect(winners).toHaveLength(1)
    expect((await f.stored()).permits).toEqual([winners[0]?.permit])

    // The leaker, back from the dead, reports success: its permit is gone, so the ramp does not move.
    await leaker.breaker.onSuccess(KEY, leaked)
    expect(await f.stored()).toMatchObject({ state: 'half-open', stage: 0, stageSuccesses: 0, permits: [winners[0]?.permit] })
  })
})

describe('a stale writer', () => {
  it('cannot re-close a breaker another instance has just opened', async () => {
    const closed = { ...openRecord(T0 - 9_000, 0), state: 'closed' as const, version: 4, opens: 0 }
    await seed(db, table, closed)
    const f = make({ size: 20, refreshMs: 60_000, policy: { consecutiveFailures: 1 } })
    await f.all((x) => x.breaker.admit(KEY)) // every instance now holds closed v4
    const [tripper, ...stale] = f.instances as [Fleet['instances'][number], ...Fleet['instances']]
    await tripper.breaker.onFailure(KEY, await tripper.breaker.admit(KEY))
    const opened = await f.stored()
    expect(opened).toMatchObject({ state: 'open', version: 5 })

    // Half of the stale instances write "closed" over the version they last saw, all at once: none lands...
    const writers = stale.slice(0, 9)
    const results = await Promise.all(writers.map((x) => x.dynamo.compareAndSet(KEY, closed, { ...closed, version: 5, changedAt: T0 })))
    expect(results).toEqual(Array(9).fill({ ok: false, record: opened }))
    // ...the others fail a call admitted on their cached "closed": they end up knowing it is open, and it stays as it was.
    await Promise.all(stale.slice(9).map((x) => x.breaker.onFailure(KEY, { allowed: true, state: 'closed' })))
    expect(await f.stored()).toEqual(opened)
    expect(f.transitions()).toEqual(['closed>open'])
    expect((await f.all((x) => x.breaker.admit(KEY))).every((a) => !a.allowed)).toBe(true)
  })
})
