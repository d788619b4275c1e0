/**
 * The breaker's state machine as pure functions: a record and an event in, the next record out (or `undefined`
 * when nothing changes, so the caller can skip the write). No clock, no I/O: `now` and permit ids come from the
 * caller, which is what lets many instances replay the same decision against whatever record the store holds.
 */
import type { Admission, BreakerPolicy, BreakerRecord, ProbePermit, WindowCounts } from './types.js'

/** The outcome of `admit`: the answer, and the record to write first when the answer changed something. */
export interface AdmitResult {
  readonly admission: Admission
  /** Write this (compare-and-set on the input's version) before acting on `admission`; absent = nothing to write. */
  readonly next?: BreakerRecord
}

/** Floor of a retry hint, so a caller that sleeps on it never spins on 0. */
/** The most a full half-open stage tells callers to wait: probes usually report within a call. */
const FULL_STAGE_RETRY_MS = 1_000
const MIN_RETRY_MS = 1

/** May a call go to this target now? Open breakers whose cooldown is over become half-open here. */
export function admit(record: BreakerRecord, policy: BreakerPolicy, now: number, newPermitId: () => string): AdmitResult {
  if (record.state === 'closed') return { admission: { allowed: true, state: 'closed' } }
  if (record.state === 'open') {
    if (now < record.openUntil) {
      return { admission: { allowed: false, state: 'open', retryInMs: Math.max(MIN_RETRY_MS, record.openUntil - now) } }
    }
    const halfOpen: BreakerRecord = {
      ...record, state: 'half-open', changedAt: now, stage: 0, stageSuccesses: 0, permits: [],
    }
    return admitProbe(record, halfOpen, policy, now, newPermitId)
  }
  return admitProbe(record, record, policy, now, newPermitId)
}

/**
 * Half-open admission. `stored` is what the store holds (its version is the one to bump); `current` is the same
 * record after a pending open → half-open change, which must be written even if no permit is granted.
 */
function admitProbe(
  stored: BreakerRecord, current: BreakerRecord, policy: BreakerPolicy, now: number, newPermitId: () => string,
): AdmitResult {
  // A permit past its lease belongs to a holder that died or hung; its slot is free again.
  const live = current.permits.filter((p) => isLive(p, now, policy.clockSkewMs))
  if (live.length + current.stageSuccesses < stageSize(policy, current.stage)) {
    const permit: ProbePermit = { id: newPermitId(), expiresAt: now + policy.permitLeaseMs }
    return {
      admission: { allowed: true, state: 'half-open', permit },
      next: { ...current, version: stored.version + 1, permits: [...live, permit] },
    }
  }
  // The stage is full. A slot is free for sure only when the oldest live lease runs out (~30 s), but probes
  // normally report within a call's time: the hint (which can become a caller's Retry-After) says "soon".
  const earliest = live.reduce((min, p) => Math.min(min, p.expiresAt + policy.clockSkewMs), Number.POSITIVE_INFINITY)
  const retryInMs = Number.isFinite(earliest) ? Math.max(MIN_RETRY_MS, Math.min(FULL_STAGE_RETRY_MS, earliest - now)) : MIN_RETRY_MS
  const admission: Admission = { allowed: false, state: 'half-open', retryInMs }
  return current === stored ? { admission } : { admission, next: { ...current, version: stored.version + 1 } }
}

/** A call admitted by this breaker succeeded. Only a probe holding a live permit moves the half-open ramp. */
export function onSuccess(
  record: BreakerRecord, policy: BreakerPolicy, now: number, permitId?: string,
): BreakerRecord | undefined {
  if (record.state !== 'half-open' || !holdsLivePermit(record, now, permitId, policy.clockSkewMs)) return undefined
  const permits = record.permits.filter((p) => p.id !== permitId)
  const stageSuccesses = record.stageSuccesses + 1
  const version = record.version + 1
  if (stageSuccesses < stageSize(policy, record.stage)) return { ...record, version, permits, stageSuccesses }
  if (record.stage + 1 >= policy.probeStages.length) {
    return { ...record, version, state: 'closed', changedAt: now, openUntil: 0, opens: 0, stage: 0, stageSuccesses: 0, permits: [] }
  }
  return { ...record, version, stage: record.stage + 1, stageSuccesses: 0, permits: [] }
}

/**
 * A call admitted by this breaker failed (a failure that counts: not the caller's fault). `counts` is the window
 * after this failure was added. Closed trips on rate (with volume) or on a streak; half-open reopens on any probe
 * failure; a failure without a live permit in half-open is a straggler from before and changes nothing.
 */
export function onFailure(
  record: BreakerRecord, counts: WindowCounts, policy: BreakerPolicy, now: number, permitId?: string,
): BreakerRecord | undefined {
  if (record.state === 'closed') return shouldTrip(counts, policy) ? opened(record, policy, now) : undefined
  if (record.state === 'half-open' && holdsLivePermit(record, now, permitId, policy.clockSkewMs)) return opened(record, policy, now)
  return undefined
}

/** A permit handed back without a verdict (the call never reached the target, or its failure did not count). */
export function release(record: BreakerRecord, now: number, permitId: string, clockSkewMs = 0): BreakerRecord | undefined {
  if (record.state !== 'half-open' || !record.permits.some((p) => p.id === permitId)) return undefined
  // Expired permits go with it: the write is happening anyway.
  const permits = record.permits.filter((p) => p.id !== permitId && isLive(p, now, clockSkewMs))
  return { ...record, version: record.version + 1, permits }
}

/** Does the window say a closed breaker must open? */
export function shouldTrip(counts: WindowCounts, policy: BreakerPolicy): boolean {
  if (counts.consecutiveFailures >= policy.consecutiveFailures) return true
  return counts.calls >= policy.minimumCalls && counts.calls > 0
    && counts.failures / counts.calls >= policy.failureRateThreshold
}

/** The cooldown of the next open, given how many times it has opened since the last close. */
export function cooldownFor(opens: number, policy: BreakerPolicy): number {
  // `**` overflows to Infinity after many reopens; `min` turns that into the cap.
  return Math.min(policy.maxCooldownMs, policy.cooldownMs * policy.cooldownMultiplier ** opens)
}

/** Probes the given stage admits. A stage past the end (the policy shrank since the record was written) = the last. */
export function stageSize(policy: BreakerPolicy, stage: number): number {
  const stages = policy.probeStages
  return stages[Math.min(stage, stages.length - 1)] ?? 1
}

function opened(record: BreakerRecord, policy: BreakerPolicy, now: number): BreakerRecord {
  return {
    ...record,
    version: record.version + 1,
    state: 'open',
    changedAt: now,
    openUntil: now + cooldownFor(record.opens, policy),
    opens: record.opens + 1,
    stage: 0,
    stageSuccesses: 0,
    permits: [],
  }
}

function holdsLivePermit(record: BreakerRecord, now: number, permitId: string | undefined, clockSkewMs: number): boolean {
  return permitId !== undefined && record.permits.some((p) => p.id === permitId && isLive(p, now, clockSkewMs))
}

/** Live until its lease ends plus the clock skew allowance: another instance's clock may run behind ours. */
function isLive(permit: ProbePermit, now: number, clockSkewMs: number): boolean {
  return permit.expiresAt + clockSkewMs > now
}
