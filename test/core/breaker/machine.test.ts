import { admit, cooldownFor, onFailure, onSuccess, release } from '../../../src/core/breaker/machine.js'
import { resolvePolicy } from '../../../src/core/breaker/policy.js'
import { initialRecord, type BreakerRecord, type WindowCounts } from '../../../src/core/breaker/types.js'

const policy = resolvePolicy({
  cooldownMs: 1000, cooldownMultiplier: 2, maxCooldownMs: 5000, probeStages: [1, 2], permitLeaseMs: 300,
  minimumCalls: 4, failureRateThreshold: 0.5, consecutiveFailures: 3,
}, 'test')
const ids = (): (() => string) => { let n = 0; return () => `p${++n}` }
const quiet: WindowCounts = { calls: 1, failures: 1, consecutiveFailures: 1 }
const open = (openUntil: number, opens = 1): BreakerRecord =>
  ({ ...initialRecord(), state: 'open', version: 4, changedAt: 10, openUntil, opens })

describe('admit', () => {
  it('lets everything through while closed and writes nothing', () => {
    expect(admit(initialRecord(), policy, 100, ids())).toEqual({ admission: { allowed: true, state: 'closed' } })
  })

  it('refuses while open, saying how long is left', () => {
    expect(admit(open(2000), policy, 1500, ids())).toEqual({ admission: { allowed: false, state: 'open', retryInMs: 500 } })
  })

  it('goes half-open at openUntil and grants the first probe in the same write', () => {
    const { admission, next } = admit(open(2000), policy, 2000, ids())
    expect(admission).toEqual({ allowed: true, state: 'half-open', permit: { id: 'p1', expiresAt: 2300 } })
    expect(next).toEqual({
      state: 'half-open', version: 5, changedAt: 2000, openUntil: 2000, opens: 1, stage: 0, stageSuccesses: 0,
      permits: [{ id: 'p1', expiresAt: 2300 }],
    })
  })

  it('refuses a second probe in a full stage until the first lease runs out', () => {
    const next = admit(open(2000), policy, 2000, ids()).next!
    expect(admit(next, policy, 2100, ids())).toEqual({ admission: { allowed: false, state: 'half-open', retryInMs: 200 } })
    const again = admit(next, policy, 2300, () => 'p9')
    expect(again.admission).toEqual({ allowed: true, state: 'half-open', permit: { id: 'p9', expiresAt: 2600 } })
    expect(again.next?.permits).toEqual([{ id: 'p9', expiresAt: 2600 }])
    expect(again.next?.version).toBe(6)
    expect(again.next?.changedAt).toBe(2000)
  })
})

describe('onSuccess', () => {
  const halfOpen = (stage: number, stageSuccesses: number, permits: BreakerRecord['permits']): BreakerRecord =>
    ({ ...open(0, 2), state: 'half-open', stage, stageSuccesses, permits })

  it('counts a live probe and moves to the next stage when the stage is full', () => {
    const next = onSuccess(halfOpen(0, 0, [{ id: 'a', expiresAt: 500 }]), policy, 100, 'a')
    expect(next).toMatchObject({ state: 'half-open', stage: 1, stageSuccesses: 0, permits: [], version: 5, changedAt: 10 })
  })

  it('counts without advancing while the stage still has room', () => {
    const next = onSuccess(halfOpen(1, 0, [{ id: 'a', expiresAt: 500 }, { id: 'b', expiresAt: 500 }]), policy, 100, 'a')
    expect(next).toMatchObject({ stage: 1, stageSuccesses: 1, permits: [{ id: 'b', expiresAt: 500 }] })
  })

  it('closes after the last stage and forgets past opens', () => {
    const next = onSuccess(halfOpen(1, 1, [{ id: 'b', expiresAt: 500 }]), policy, 100, 'b')
    expect(next).toEqual({ ...initialRecord(), version: 5, changedAt: 100 })
  })

  it('ignores a success without a live permit (stale, unknown or expired)', () => {
    const record = halfOpen(0, 0, [{ id: 'a', expiresAt: 500 }])
    expect(onSuccess(record, policy, 100)).toBeUndefined()
    expect(onSuccess(record, policy, 100, 'zz')).toBeUndefined()
    expect(onSuccess(record, policy, 500, 'a')).toBeUndefined()
    expect(onSuccess(initialRecord(), policy, 100, 'a')).toBeUndefined()
  })
})

describe('onFailure', () => {
  it('trips on rate only with enough volume', () => {
    expect(onFailure(initialRecord(), { calls: 3, failures: 3, consecutiveFailures: 2 }, policy, 50)).toBeUndefined()
    expect(onFailure(initialRecord(), { calls: 4, failures: 1, consecutiveFailures: 1 }, policy, 50)).toBeUndefined()
    expect(onFailure(initialRecord(), { calls: 4, failures: 2, consecutiveFailures: 1 }, policy, 50)).toEqual({
      ...initialRecord(), state: 'open', version: 1, changedAt: 50, openUntil: 1050, opens: 1,
    })
  })

  it('trips on a streak at any volume', () => {
    expect(onFailure(initialRecord(), { calls: 3, failures: 3, consecutiveFailures: 3 }, policy, 50)?.state).toBe('open')
  })

  it('reopens on a probe failure with a longer cooldown, and ignores stragglers without a permit', () => {
    const record: BreakerRecord = { ...open(0, 2), state: 'half-open', permits: [{ id: 'a', expiresAt: 500 }] }
    expect(onFailure(record, quiet, policy, 100)).toBeUndefined()
    expect(onFailure(record, quiet, policy, 100, 'other')).toBeUndefined()
    expect(onFailure(record, quiet, policy, 100, 'a')).toMatchObject({ state: 'open', openUntil: 4100, opens: 3, permits: [] })
  })

  it('changes nothing while open', () => {
    expect(onFailure(open(900), { calls: 99, failures: 99, consecutiveFailures: 99 }, policy, 100, 'a')).toBeUndefined()
  })
})

describe('release and cooldown', () => {
  it('frees the slot of a permit given back', () => {
    const record: BreakerRecord = { ...open(0), state: 'half-open', permits: [{ id: 'a', expiresAt: 500 }] }
    expect(release(record, 100, 'a')).toMatchObject({ permits: [], version: 5, stageSuccesses: 0, state: 'half-open' })
    expect(release(record, 100, 'b')).toBeUndefined()
    expect(release(initialRecord(), 100, 'a')).toBeUndefined()
  })

  it('doubles the cooldown per open and caps it', () => {
    expect([0, 1, 2, 3, 4, 2000].map((opens) => cooldownFor(opens, policy))).toEqual([1000, 2000, 4000, 5000, 5000, 5000])
  })
})

describe('a full half-open stage', () => {
  it('tells callers to come back soon (at most 1 s), not after the whole ~30 s lease', () => {
    const policy = resolvePolicy({ probeStages: [1], permitLeaseMs: 30_000 }, 'test')
    const halfOpen = {
      ...initialRecord(), state: 'half-open' as const, version: 3, changedAt: 0, permits: [{ id: 'p', expiresAt: 30_000 }],
    }
    expect(admit(halfOpen, policy, 100, () => 'q').admission).toEqual({ allowed: false, state: 'half-open', retryInMs: 1_000 })
  })
})
