/**
 * What a cascade has done so far: the attempts (each told to the listener and the canary as it is recorded) and the
 * degradations of the reply. Kept apart from the walk so the walk reads as decisions only.
 */
import type { AttemptOutcome, AttemptRecord } from '../attempts.js'
import type { Admission } from '../breaker/types.js'
import type { Target } from '../targets.js'
import { isDowngrade, tierServed, type TierServed } from './tiers.js'
import type { CascadeRequest, Degradation } from './types.js'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

export class Ledger {
  readonly attempts: AttemptRecord[] = []
  readonly degradations: Degradation[] = []

  constructor(private readonly req: Pick<CascadeRequest<unknown, unknown>, 'policies' | 'listener' | 'canary' | 'route'>) {}

  record(
    target: Target, attempt: number, outcome: AttemptOutcome, latencyMs: number, waitMs: number, admission?: Admission, errorName?: string,
  ): AttemptRecord {
    const r: Mutable<AttemptRecord> = { target, attempt, outcome, latencyMs, waitMs }
    if (errorName !== undefined) r.errorName = errorName
    if (admission && this.req.policies.breaker) r.breakerState = admission.state
    this.attempts.push(r)
    this.req.listener?.attempt?.(r, this.req.route)
    this.req.canary?.attempt(r, this.req.route)
    return r
  }

  /** No time left for this attempt (or the wait before it): recorded, and the walk stops. */
  deadlineSkip(target: Target, attempt: number, waitMs: number): 'stop' {
    this.record(target, attempt, 'skipped-deadline', 0, waitMs)
    this.req.listener?.deadlineSkip?.(target, this.req.route)
    return 'stop'
  }

  degrade(d: Degradation): void {
    if (!this.degradations.includes(d)) this.degradations.push(d)
  }

  /**
   * The service tier and latency mode that served `target`, as its reply says. Bedrock may serve below what was
   * asked and say so only there: that is a `downgraded-tier` reply.
   */
  tierOf(target: Target, output: unknown): TierServed | undefined {
    const tier = tierServed(target, output)
    if (tier !== undefined && isDowngrade(target, tier)) this.degrade('downgraded-tier')
    return tier
  }
}
