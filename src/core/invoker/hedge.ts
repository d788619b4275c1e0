/**
 * Hedged requests (opt-in, `fallback({ hedge })`): when the first target has not answered by its measured p95 ×
 * `p95Factor`, the same request starts on the route's next target in another region; the first good answer wins and
 * the other is aborted (an aborted attempt is no breaker failure). Bounded by a budget of extra calls per container
 * (`maxExtraShare` of calls, a token bucket) and by the deadline (the hedge's cascade has the same one).
 *
 * A target with too few fresh samples (the latency tracker's `minSamples`) has no p95: no hedge. When a hedge wins,
 * the first target's call was slower than 1.5 × its p95: its time so far is recorded as a latency sample (so the
 * health order sees it slow down) and it is told to the breaker as a timeout (`onSlow`) — hedging must not hide a
 * hung region from either: its calls, always aborted, would otherwise never fail, and every request would keep
 * trying it first and paying for a hedge.
 */
import type { Clock } from '../clock.js'
import type { HedgePolicy } from '../fallback/hedge-policy.js'
import type { LatencyTracker } from '../health/latency.js'
import { targetKey, type Target } from '../targets.js'
import type { CascadeRequest, CascadeResult } from './types.js'

/**
 * Hedges are earned by calls: each call adds `maxExtraShare` of a hedge and a hedge spends 1; a container starts with
 * one and never holds more than one, so it sends at most 1 + `maxExtraShare` × its calls.
 */
export class HedgeBudget {
  #tokens = 1
  constructor(readonly share: number) {}

  call(): void {
    this.#tokens = Math.min(1, this.#tokens + this.share)
  }

  spend(): boolean {
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}

/** When to hedge, and the targets the hedge must not use (the first target's region); undefined: no hedge. */
export function planHedge(
  targets: readonly Target[], latency: LatencyTracker | undefined, policy: HedgePolicy, now: number,
): { readonly delayMs: number; readonly skip: ReadonlySet<string> } | undefined {
  const first = targets[0]
  if (first === undefined || latency === undefined) return undefined
  const p95 = latency.health(targetKey(first), now)?.p95Ms
  if (p95 === undefined) return undefined
  const skip = new Set(targets.filter((t) => t.region === first.region).map(targetKey))
  if (skip.size === targets.length) return undefined
  return { delayMs: Math.max(policy.minDelayMs, p95 * policy.p95Factor), skip }
}

/**
 * Runs `request`'s cascade and, if it has not answered after `delayMs` (and the budget allows), the same request on
 * the targets not in `skip`: the first good answer wins, the other cascade is aborted. When both fail, the first
 * cascade's error is thrown (it walked the whole route).
 */
export function runHedged<I, O>(
  request: CascadeRequest<I, O>, plan: { readonly delayMs: number; readonly skip: ReadonlySet<string> },
  budget: HedgeBudget, clock: Clock, run: (r: CascadeRequest<I, O>) => Promise<CascadeResult<O>>,
  onSlow: (target: Target) => void,
): Promise<CascadeResult<O>> {
  const primary = new AbortController()
  const hedge = new AbortController()
  const timer = new AbortController()
  const caller = request.signal
  const onCallerAbort = (): void => {
    primary.abort(caller?.reason)
    hedge.abort(caller?.reason)
  }
  caller?.addEventListener('abort', onCallerAbort, { once: true })
  const startedAt = clock.now()
  const first = run({ ...request, signal: primary.signal })

  return new Promise<CascadeResult<O>>((resolve, reject) => {
    let pending = 1
    let firstError: unknown
    let done = false
    const finish = (): void => {
      done = true
      timer.abort()
      caller?.removeEventListener('abort', onCallerAbort)
    }
    const won = (result: CascadeResult<O>, loser: AbortController, slow: Target | undefined): void => {
      if (done) return
      finish()
      loser.abort(new HedgeLostError())
      if (slow !== undefined) {
        request.latency?.record(targetKey(slow), clock.now() - startedAt, undefined, clock.now())
        onSlow(slow)
      }
      resolve(result)
    }
    const lost = (error: unknown, isFirst: boolean): void => {
      if (isFirst) firstError = error
      if (--pending > 0 || done) return
      finish()
      reject(firstError ?? error)
    }
    first.then((r) => won(r, hedge, undefined), (e: unknown) => lost(e, true))
    clock.sleep(plan.delayMs, timer.signal).then(() => {
      if (done || caller?.aborted || !budget.spend()) return
      pending++
      const skip = new Set([...(request.skip ?? []), ...plan.skip])
      run({ ...request, signal: hedge.signal, skip }).then((r) => won(r, primary, request.targets[0]), (e: unknown) => lost(e, false))
    }, () => undefined)
  })
}

/** The reason a hedged cascade that lost the race is aborted with. */
export class HedgeLostError extends Error {
  constructor() {
    super('another target answered first')
    this.name = 'HedgeLostError'
  }
}
