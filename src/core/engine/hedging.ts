/**
 * The engine's hedged requests (`fallback({ hedge })`, what a hedge is: invoker/hedge.ts): one budget per container,
 * shared by Converse calls and streams, and the first-target p95 each is planned on — a Converse call's from the
 * health tracker, a stream's from its own tracker of times to first token (the cascade records each stream's in it:
 * it is the request's `latency`).
 */
import type { Clock } from '../clock.js'
import type { HedgePolicy } from '../fallback/hedge-policy.js'
import { runCascade } from '../invoker/cascade.js'
import { HedgeBudget, planHedge, runHedged } from '../invoker/hedge.js'
import type { CascadeRequest, CascadeResult } from '../invoker/types.js'
import type { Target } from '../targets.js'

export class Hedging {
  /** Hedges this container may still send. */
  readonly #budget: HedgeBudget

  constructor(
    readonly policy: HedgePolicy,
    private readonly clock: Clock,
    /** Told of each target a hedge outran (the engine: a timeout to its breaker). */
    private readonly outrun: (target: Target) => void,
  ) {
    this.#budget = new HedgeBudget(policy.maxExtraShare)
  }

  /**
   * The cascade, hedged when its first target has a p95 in `request.latency` (a stream's: to its first token).
   * `discard` lets go of an answer that lost the race but arrived anyway (a stream: its open request).
   */
  run<I, O>(request: CascadeRequest<I, O>, now: number, discard?: (output: O) => void): Promise<CascadeResult<O>> {
    this.#budget.call()
    // The attempt's own limit: a stream's first-token limit, or the backoff's.
    const attemptTimeoutMs = request.attemptTimeoutMs ?? request.policies.backoff?.policy.attemptTimeoutMs
    const plan = planHedge({ targets: request.targets, skip: request.skip, attemptTimeoutMs }, request.latency, this.policy, now)
    if (plan === undefined) return runCascade(request)
    return runHedged(request, plan, {
      budget: this.#budget, clock: this.clock, run: runCascade, latency: request.latency, onSlow: this.outrun, discard,
    })
  }
}
