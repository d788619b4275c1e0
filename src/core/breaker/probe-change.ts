/**
 * The half-open ramp's probe writes, described so that they commute. Of a fleet racing one stage, every
 * container's write used to be a compare-and-set on the exact version: the first landed, and every other one
 * failed (a billed write) and was decided again, although taking a permit while slots are free, or recording a
 * probe's success within a stage, does not depend on who else did the same a moment before. Such a write is a
 * `ProbeChange`; a store applies it to whatever record it holds if it still fits, so different permits of one
 * stage all land.
 *
 * What stays conditional on the exact version: every transition (open → half-open, a stage's last success moving
 * to the next stage or closing, a failure reopening), a permit given back, and a take that also reclaims expired
 * permits. A change never completes a stage (that success is a transition) and never takes a slot past the
 * stage's size, counting every permit the stored record holds, expired or not: fleet-wide, permits out plus
 * successes stay within the stage.
 */
import { stageSize } from './machine.js'
import type { BreakerPolicy, BreakerRecord, ProbeChange, ProbePermit, ProbeStage } from './types.js'

/**
 * The probe change that turns `expected` into `next`, if that is all it does: one permit added (nothing else
 * changed, no expired permit dropped), or one permit turned into a success of a stage it does not complete.
 * `undefined` for anything else: write `next` by compare-and-set on the version.
 */
export function probeChange(expected: BreakerRecord, next: BreakerRecord, policy: BreakerPolicy): ProbeChange | undefined {
  if (expected.state !== 'half-open' || next.state !== 'half-open' || next.version !== expected.version + 1) return undefined
  if (next.changedAt !== expected.changedAt || next.openUntil !== expected.openUntil || next.opens !== expected.opens
    || next.stage !== expected.stage) return undefined
  const stage: ProbeStage = {
    changedAt: expected.changedAt, opens: expected.opens, stage: expected.stage, stageSize: stageSize(policy, expected.stage),
  }
  if (next.stageSuccesses === expected.stageSuccesses && next.permits.length === expected.permits.length + 1) {
    const added = next.permits.filter((p) => !expected.permits.some((e) => e.id === p.id))
    const permit = added[0]
    if (added.length !== 1 || permit === undefined || !keepsAll(next.permits, expected.permits)) return undefined
    const change: ProbeChange = { ...stage, kind: 'take', permit }
    return applyProbeChange(expected, change) ? change : undefined
  }
  if (next.stageSuccesses === expected.stageSuccesses + 1 && next.permits.length === expected.permits.length - 1) {
    const gone = expected.permits.filter((e) => !next.permits.some((p) => p.id === e.id))
    const removed = gone[0]
    if (gone.length !== 1 || removed === undefined || !keepsAll(expected.permits, next.permits)) return undefined
    const change: ProbeChange = { ...stage, kind: 'pass', permitId: removed.id }
    return applyProbeChange(expected, change) ? change : undefined
  }
  return undefined
}

/**
 * `record` with `change` applied, or `undefined` when it no longer fits: another episode or stage, no free slot
 * (a take), the permit gone or the success completing the stage (a pass: that is a transition, decided afresh).
 * The version goes up by one either way, so a compare-and-set decided before the change loses to it. Permits are
 * kept in a canonical order (by expiry, then id), so changes applied in any order give the same record.
 */
export function applyProbeChange(record: BreakerRecord, change: ProbeChange): BreakerRecord | undefined {
  if (record.state !== 'half-open' || record.changedAt !== change.changedAt || record.opens !== change.opens
    || record.stage !== change.stage) return undefined
  if (change.kind === 'take') {
    const { permit } = change
    if (record.permits.length + record.stageSuccesses >= change.stageSize) return undefined
    if (record.permits.some((p) => p.id === permit.id)) return undefined
    return { ...record, version: record.version + 1, permits: sortPermits([...record.permits, permit]) }
  }
  if (!record.permits.some((p) => p.id === change.permitId)) return undefined
  if (record.stageSuccesses + 1 >= change.stageSize) return undefined
  return {
    ...record,
    version: record.version + 1,
    stageSuccesses: record.stageSuccesses + 1,
    permits: record.permits.filter((p) => p.id !== change.permitId),
  }
}

/** Permits by expiry, then id: the order a store that keeps them as a map hands them back in. */
export function sortPermits(permits: readonly ProbePermit[]): ProbePermit[] {
  return [...permits].sort((a, b) => a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Does `superset` hold every permit of `subset`, unchanged? */
function keepsAll(superset: readonly ProbePermit[], subset: readonly ProbePermit[]): boolean {
  return subset.every((s) => superset.some((p) => p.id === s.id && p.expiresAt === s.expiresAt))
}
