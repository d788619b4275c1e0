/**
 * The fleet breaker when things go wrong around it: the store stops mid-run (each instance wrapped in a
 * FallbackBreakerStore, as circuitBreaker({ tableName }) wires it), and instances whose clocks disagree by up to 2 s.
 */
import { describe, expect, it } from '@jest/globals'
import { FallbackBreakerStore } from '../../../src/core/breaker/fallback-store.js'
import type { Admission } from '../../../src/core/breaker/types.js'
import { describeWithOutage, type TestDynamoDB } from '../../../tools/dynamodb-local/dynamodb.js'
import { useTable } from '../../support/dynamodb-table.js'
import type { FakeClock } from '../../support/fake-clock.js'
import { fleet, KEY, openRecord, seed, type Fleet, type FleetOptions, type Instance } from '../../support/fleet.js'

const T0 = 1_700_000_000_250
let db!: TestDynamoDB
let table!: string
let clock!: FakeClock
useTable(T0, (f) => ({ db, table, clock } = f))
const make = (o: Omit<FleetOptions, 'db' | 'table' | 'clock'>): Fleet => fleet({ db, table, clock, ...o })

/** A fleet as the middleware builds it: DynamoDB store (its own default client: 2 attempts, 300 ms timeouts) + local fallback. */
function withFallback(size: number) {
  const storeErrors = Array<number>(size).fill(0)
  const fallbacks: FallbackBreakerStore[] = []
  const f = make({
    size, client: null, refreshMs: 1_000, flushMs: 1_000, policy: { consecutiveFailures: 2, cooldownMs: 60_000 },
    wrap: (primary, { id, clock: own }) => {
      const onError = (): void => { storeErrors[id] = (storeErrors[id] ?? 0) + 1 }
      const store = new FallbackBreakerStore({ primary, clock: own, retryAfterMs: 5_000, onError })
      fallbacks[id] = store
      return store
    },
  })
  return { f, storeErrors, fallbacks }
}

/** A call through the breaker as the invoker makes it; resolves to the admission. */
async function call(x: Instance, outcome: 'success' | 'failure'): Promise<{ admission: Admission }> {
  const admission = await x.breaker.admit(KEY)
  if (admission.allowed) await (outcome === 'success' ? x.breaker.onSuccess(KEY, admission) : x.breaker.onFailure(KEY, admission))
  return { admission }
}

describeWithOutage('the store stopped mid-run', () => {
  it('calls keep being admitted on local state, each store error is counted, and shared state resumes', async () => {
    const { f, storeErrors, fallbacks } = withFallback(20)
    expect((await f.all((x) => call(x, 'success'))).every((r) => r.admission.allowed)).toBe(true)
    expect(storeErrors.every((n) => n === 0)).toBe(true)

    await db.takeDown('hang') // DynamoDB accepts connections and never answers
    await clock.advance(1_000) // caches are due for a refresh
    const down = await f.all((x) => call(x, 'success'))
    expect(down.every((r) => r.admission.allowed)).toBe(true)
    // (How long a hung table may hold a call is bounded by the store's operation budget: store-budget.test.ts.)
    expect(storeErrors.every((n) => n >= 1)).toBe(true)
    expect(fallbacks.every((s) => s.local)).toBe(true)

    // While local, no instance tries DynamoDB again before retryAfterMs: no more errors, calls still admitted.
    const before = [...storeErrors]
    await clock.advance(1_000)
    expect((await f.all((x) => call(x, 'success'))).every((r) => r.admission.allowed)).toBe(true)
    expect(storeErrors).toEqual(before)

    await db.bringBack()
    await clock.advance(5_000)
    const [a, b] = f.instances as [Instance, Instance]
    for (let i = 0; i < 2; i++) await call(a, 'failure') // A trips the target in the shared table...
    expect(await f.stored()).toMatchObject({ state: 'open', version: 1 })
    expect((await call(b, 'success')).admission).toMatchObject({ allowed: false, state: 'open' }) // ...and B sees it.
    expect(storeErrors).toEqual(before)
    expect(fallbacks[0]?.local || fallbacks[1]?.local).toBe(false)
  })
})

describe('clock skew (clocks up to 2 s apart, clockSkewMs 2 000)', () => {
  /** Offsets spread evenly over [-1 s, +1 s]: any two instances are at most 2 s apart. */
  const spread = (size: number) => (i: number) => Math.round(-1_000 + (2_000 * i) / (size - 1))

  it('a permit held by the slowest clock is not reclaimed by the fastest before the holder\'s lease ends', async () => {
    const policy = { probeStages: [1, 5], permitLeaseMs: 5_000, clockSkewMs: 2_000, cooldownMs: 1_000 }
    await seed(db, table, openRecord(T0 - 2_000, T0))
    await clock.advance(2_000)
    const f = make({ size: 20, policy, offsetMs: spread(20) })
    const [slow, ...others] = f.instances as [Instance, ...Instance[]]
    const held = await slow.breaker.admit(KEY)
    const leaseEnd = held.allowed ? held.permit?.expiresAt ?? 0 : 0
    expect(leaseEnd).toBe(slow.clock.now() + 5_000)

    await clock.advance(leaseEnd - slow.clock.now() - 1) // 1 ms before the end of the lease, by the holder's clock
    expect((await Promise.all(others.map((x) => x.breaker.admit(KEY)))).some((a) => a.allowed)).toBe(false)
    expect((await f.stored()).permits).toEqual([held.allowed && held.permit])

    await clock.advance(1) // the lease is over by the holder's clock: the fastest instance may take the slot
    const answers = await Promise.all(others.map((x) => x.breaker.admit(KEY)))
    const admittedOffsets = answers.map((a, i) => (a.allowed ? (others[i] as Instance).offsetMs : undefined)).filter((o) => o !== undefined)
    expect(admittedOffsets).toEqual([1_000])
  })

  it('no instance moves open → half-open more than 2 s before openUntil (by the clock of whoever opened it)', async () => {
    const f = make({ size: 20, policy: { consecutiveFailures: 1, cooldownMs: 5_000, clockSkewMs: 2_000 }, offsetMs: spread(20) })
    const opener = f.instances[0] as Instance // the slowest clock: the others run up to 2 s ahead of it
    await call(opener, 'failure')
    const { openUntil } = await f.stored()
    expect(openUntil).toBe(opener.clock.now() + 5_000)
    const movedAt: number[] = []
    for (let step = 0; step < 30 && movedAt.length === 0; step++) {
      await clock.advance(250)
      await f.all(async (x) => {
        const a = await x.breaker.admit(KEY)
        if (a.allowed) movedAt.push(opener.clock.now())
      })
    }
    expect(movedAt).toEqual([openUntil - 2_000])
    expect(f.transitions()).toEqual(['closed>open', 'open>half-open'])
  })
})

describe('a probe failing in the second it was granted', () => {
  // Once a regression: the window query for it had reversed bounds (DynamoDB: ValidationException), the fallback
  // took that for an outage, went local and decided the reopen on its local (closed) record, never writing it.
  it('reopens the shared breaker, with no store error', async () => {
    await seed(db, table, openRecord(T0 - 60_000, T0))
    const { f, storeErrors } = withFallback(1)
    const x = f.instances[0] as Instance
    const probe = await x.breaker.admit(KEY)
    expect(probe).toMatchObject({ allowed: true, state: 'half-open' })
    await clock.advance(200) // a 503 comes back fast
    await x.breaker.onFailure(KEY, probe)
    expect(storeErrors).toEqual([0])
    expect(await f.stored()).toMatchObject({ state: 'open', opens: 2 })
  })
})
