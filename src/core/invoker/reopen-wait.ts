/**
 * Riding out a cooldown: when a walk ended with every target refused by its breaker before any call (open, or
 * half-open with the stage's probes all out), and the soonest of them may admit again within what is left of the
 * request's wait allowance, the request waits for that moment and walks again, instead of answering 503 now.
 *
 * Why: a fleet breaker probes a dead target once per cooldown (5 s), so after the provider returns the fleet learns it
 * at the next probe, then ramps 1 → 5 → 10. A request that fails fast in that gap is lost although the target is
 * back; a request that waits for the reopen rides the probe and the ramp. The wait adds no load upstream (the
 * breaker still lets only its probes through), only Lambda time, which `reopenWaitMs` bounds; throttling is not
 * waited for (with no headroom anywhere, the 503 is what sheds the load).
 */
import type { AttemptRecord } from '../attempts.js'
import type { Random } from '../clock.js'
import type { SoonestByTarget } from './served.js'

/**
 * Spread on each wake-up: containers woken by the same reopen do not all read the record in the same millisecond
 * (one of them takes the probe, the others learn so from the record it wrote).
 */
const WAKE_SPREAD_MS = 50

export interface ReopenQuestion {
  /** The attempt records of the walk that just ended. */
  readonly walk: readonly AttemptRecord[]
  /** When each target of the walk may admit again, ms from now (knownSoonest). */
  readonly soonest: SoonestByTarget
  /** How long this request has already waited for reopens. */
  readonly waitedMs: number
  /** The most a request waits for reopens in all (`backoff.reopenWaitMs`). */
  readonly maxWaitMs: number
  readonly random: Random
}

/** How long to wait before walking again, or undefined to answer now. The deadline is the caller's to check. */
export function reopenWait(q: ReopenQuestion): number | undefined {
  if (q.walk.length === 0 || q.soonest.length === 0) return undefined
  for (const a of q.walk) if (a.outcome !== 'skipped-open') return undefined
  let soonest = Number.POSITIVE_INFINITY
  for (const s of q.soonest) {
    if (s === undefined) return undefined
    if (s < soonest) soonest = s
  }
  const waitMs = Math.ceil(soonest + q.random() * WAKE_SPREAD_MS)
  return q.waitedMs + waitMs <= q.maxWaitMs ? waitMs : undefined
}
