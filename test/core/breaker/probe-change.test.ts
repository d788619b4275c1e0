/**
 * Probe changes (core/breaker/probe-change.ts): which writes of the half-open ramp are described as changes that
 * commute, and that applying them in any order gives one record and never more probes than the stage allows.
 */
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import * as machine from '../../../src/core/breaker/machine.js'
import { applyProbeChange, probeChange, sortPermits } from '../../../src/core/breaker/probe-change.js'
import { resolvePolicy } from '../../../src/core/breaker/policy.js'
import { initialRecord, type BreakerRecord, type ProbeChange, type ProbePermit } from '../../../src/core/breaker/types.js'

const T0 = 1_700_000_000_000
const policy = resolvePolicy({ probeStages: [1, 5, 10], permitLeaseMs: 30_000 }, 'test')
const halfOpen = (o: Partial<BreakerRecord> = {}): BreakerRecord => ({
  ...initialRecord(), state: 'half-open', version: 7, changedAt: T0, openUntil: T0, opens: 2, stage: 1, ...o,
})
const permit = (id: string, at = T0): ProbePermit => ({ id, expiresAt: at + 30_000 })
let n = 0
const ids = (): string => `p${++n}`

describe('probeChange', () => {
  it('a permit taken is a take; a success within the stage is a pass', () => {
    const record = halfOpen({ permits: [permit('a')] })
    const { next } = machine.admit(record, policy, T0 + 10, () => 'b')
    expect(probeChange(record, next!, policy)).toEqual({
      kind: 'take', permit: permit('b', T0 + 10), changedAt: T0, opens: 2, stage: 1, stageSize: 5,
    })
    const passed = machine.onSuccess(record, policy, T0 + 10, 'a')!
    expect(probeChange(record, passed, policy)).toEqual({ kind: 'pass', permitId: 'a', changedAt: T0, opens: 2, stage: 1, stageSize: 5 })
  })

  it('every transition, a release and a take that reclaims an expired permit stay compare-and-set on the version', () => {
    const open = { ...halfOpen(), state: 'open' as const }
    expect(probeChange(open, machine.admit(open, policy, T0 + 1, ids).next!, policy)).toBeUndefined() // open → half-open
    const lastOfStage = halfOpen({ stageSuccesses: 4, permits: [permit('a')] })
    expect(probeChange(lastOfStage, machine.onSuccess(lastOfStage, policy, T0 + 1, 'a')!, policy)).toBeUndefined() // next stage
    const lastStage = halfOpen({ stage: 2, stageSuccesses: 9, permits: [permit('a')] })
    expect(probeChange(lastStage, machine.onSuccess(lastStage, policy, T0 + 1, 'a')!, policy)).toBeUndefined() // close
    const probing = halfOpen({ permits: [permit('a')] })
    const failed = machine.onFailure(probing, { calls: 1, failures: 1, consecutiveFailures: 1 }, policy, T0 + 1, 'a')!
    expect(probeChange(probing, failed, policy)).toBeUndefined() // reopen
    expect(probeChange(probing, machine.release(probing, T0 + 1, 'a')!, policy)).toBeUndefined()
    const expired = halfOpen({ permits: [permit('old', T0 - 40_000)] })
    expect(probeChange(expired, machine.admit(expired, policy, T0, ids).next!, policy)).toBeUndefined()
  })
})

describe('applyProbeChange', () => {
  const take = (id: string, o: Partial<ProbeChange> = {}): ProbeChange =>
    ({ kind: 'take', permit: permit(id), changedAt: T0, opens: 2, stage: 1, stageSize: 5, ...o } as ProbeChange)
  const pass = (id: string): ProbeChange => ({ kind: 'pass', permitId: id, changedAt: T0, opens: 2, stage: 1, stageSize: 5 })

  it('lands on a newer record of the same stage, bumping its version', () => {
    const stored = halfOpen({ version: 9, permits: [permit('x')], stageSuccesses: 1 })
    expect(applyProbeChange(stored, take('y'))).toEqual({ ...stored, version: 10, permits: [permit('x'), permit('y')] })
    expect(applyProbeChange(stored, pass('x'))).toEqual({ ...stored, version: 10, permits: [], stageSuccesses: 2 })
  })

  it('does not fit another episode or stage, a full stage, a permit already held or gone, or a stage-completing success', () => {
    expect(applyProbeChange(halfOpen({ changedAt: T0 + 1 }), take('a'))).toBeUndefined()
    expect(applyProbeChange(halfOpen({ opens: 3 }), take('a'))).toBeUndefined()
    expect(applyProbeChange(halfOpen({ stage: 2 }), take('a'))).toBeUndefined()
    expect(applyProbeChange({ ...halfOpen(), state: 'open' }, take('a'))).toBeUndefined()
    // Expired permits still hold their slot here: only a compare-and-set reclaims them.
    const full = halfOpen({ stageSuccesses: 2, permits: [permit('a', 0), permit('b'), permit('c')] })
    expect(applyProbeChange(full, take('d'))).toBeUndefined()
    expect(applyProbeChange(halfOpen({ permits: [permit('a')] }), take('a'))).toBeUndefined()
    expect(applyProbeChange(halfOpen(), pass('a'))).toBeUndefined()
    expect(applyProbeChange(halfOpen({ stageSuccesses: 4, permits: [permit('a')] }), pass('a'))).toBeUndefined()
  })
})

/** A half-open record at some stage with some successes and permits that fit it. */
const recordArb = fc.record({
  stage: fc.integer({ min: 0, max: 2 }),
  fill: fc.double({ min: 0, max: 1, noNaN: true }),
  split: fc.double({ min: 0, max: 1, noNaN: true }),
}).map(({ stage, fill, split }) => {
  const size = machine.stageSize(policy, stage)
  const used = Math.floor(fill * size)
  // A stage with all its successes is complete: the machine has moved on from it, so no record holds one.
  const successes = Math.min(Math.floor(split * used), size - 1)
  const permits = Array.from({ length: used - successes }, (_, i) => permit(`held${i}`, T0 + i * 7))
  return halfOpen({ stage, stageSuccesses: successes, permits })
})

/** Changes decided on `record` by many containers at once: takes of new ids and passes of held permits. */
const changesArb = (record: BreakerRecord): fc.Arbitrary<ProbeChange[]> => {
  const { changedAt, opens } = record
  const stage = { changedAt, opens, stage: record.stage, stageSize: machine.stageSize(policy, record.stage) }
  return fc.record({
    takes: fc.integer({ min: 0, max: 12 }),
    passes: fc.subarray(record.permits.map((p) => p.id)),
  }).map(({ takes, passes }) => [
    ...Array.from({ length: takes }, (_, i): ProbeChange => ({
      ...stage, kind: 'take', permit: permit(`new${i}`, T0 + 100 + (i % 3)),
    })),
    ...passes.map((id): ProbeChange => ({ ...stage, kind: 'pass', permitId: id })),
  ])
}

function applyAll(record: BreakerRecord, changes: readonly ProbeChange[]): { record: BreakerRecord; landed: number } {
  let current = record
  let landed = 0
  for (const change of changes) {
    const next = applyProbeChange(current, change)
    if (next !== undefined) {
      current = next
      landed++
    }
  }
  return { record: current, landed }
}

describe('properties', () => {
  const scenario = recordArb.chain((record) => changesArb(record).chain((changes) =>
    fc.tuple(fc.constant(record), fc.shuffledSubarray(changes, { minLength: changes.length }),
      fc.shuffledSubarray(changes, { minLength: changes.length }))))

  it('never more permits out (plus successes) than the stage allows, and a change never completes a stage', () => {
    fc.assert(fc.property(scenario, ([record, order]) => {
      const size = machine.stageSize(policy, record.stage)
      let current = record
      for (const change of order) {
        current = applyProbeChange(current, change) ?? current
        expect(current.permits.length + current.stageSuccesses).toBeLessThanOrEqual(size)
        expect(current.stageSuccesses).toBeLessThan(size)
        expect(current.state).toBe('half-open')
      }
    }), { numRuns: 200 })
  })

  it('changes that all fit give the same record in any order; the ones that land are as many in any order', () => {
    fc.assert(fc.property(scenario, ([record, first, second]) => {
      const a = applyAll(record, first)
      const b = applyAll(record, second)
      // Each landed change bumps the version once, and passes free no slot: takes land up to the free slots.
      expect(a.landed).toBe(b.landed)
      expect(a.record.version).toBe(record.version + a.landed)
      if (a.landed === first.length) expect(b.record).toEqual(a.record)
      expect(a.record.stageSuccesses).toBe(b.record.stageSuccesses)
      expect(a.record.permits.length).toBe(b.record.permits.length)
    }), { numRuns: 200 })
  })

  it('the change probeChange describes, applied to the record it was decided on, is the machine\'s next record', () => {
    fc.assert(fc.property(recordArb, fc.boolean(), fc.integer({ min: 0, max: 20_000 }), (record, taking, dt) => {
      const now = T0 + dt
      const next = taking || record.permits.length === 0
        ? machine.admit(record, policy, now, () => 'fresh').next
        : machine.onSuccess(record, policy, now, record.permits[0]?.id)
      if (next === undefined) return
      const change = probeChange(record, next, policy)
      if (change === undefined) return
      expect(applyProbeChange(record, change)).toEqual({ ...next, permits: sortPermits(next.permits) })
    }), { numRuns: 200 })
  })
})
