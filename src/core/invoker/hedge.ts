/**
 * Hedged requests (opt-in, `fallback({ hedge })`): when the first target has not answered by its measured p95 ×
 * `p95Factor`, the same request starts on the route's next target in another region; the first good answer wins and
 * the other is aborted (an aborted attempt is no breaker failure). Bounded by a budget of extra calls per container
 * (`maxExtraShare` of calls, a token bucket) and by the deadline (the hedge's cascade has the same one).
 *
 * A stream is hedged the same way on its first token: its cascade answers at the first token, so the race is to the
 * first token, and the p95 is of its targets' times to first token (a tracker of their own: engine.ts). A stream
 * that lost the race after its first token had arrived is let go of (`discard`): its request would stay open.
 *
 * A target with too few fresh samples (the latency tracker's `minSamples`) has no p95: no hedge; nor when the hedge
 * would start no sooner than the attempt's own time limit (the cascade moves on by itself then).
 *
 * The hedge is about the first target only: its p95 sets the delay, its region is the one the hedge keeps away from.
 * So the first cascade's attempts are watched (through its listener, which still tells the request's own one
 * everything), and when the delay is up the hedge starts only if that cascade is still waiting on an attempt of the
 * first target. One that has moved on (the first target failed fast, a 503, and the next one is being tried) or has
 * no attempt in flight (a backoff wait, a summary) is not hedged: the delay says nothing about the target it is on
 * now, and a hedge kept out of the first target's region only could send the very call the cascade is waiting on.
 * The cascade's own attempt limit then moves it on, as without hedging.
 *
 * When a hedge wins, the call it outran is the first cascade's attempt in flight then, whichever target that is now:
 * if it has run at least the hedge delay, its time so far is recorded as a latency sample of its target (so the
 * health order sees it slow down) and the target is told to the breaker as a timeout (`onSlow`) — hedging must not
 * hide a hung region from either: its calls, always aborted, would otherwise never fail, and every request would
 * keep trying it first and paying for a hedge. A target the cascade is done with was told its outcome already, and
 * one it is not calling (a backoff wait) outran nothing: neither is blamed.
 *
 * A caller's signal aborted before the call rejects with its reason before anything runs, as the cascade does (the
 * legs' signals are their own: an abort listener added to an aborted signal would never fire).
 */
import type { Clock } from '../clock.js'
import type { HedgePolicy } from '../fallback/hedge-policy.js'
import type { LatencyTracker } from '../health/latency.js'
import { targetKey, type Target } from '../targets.js'
import { mergeListeners } from './listeners.js'
import type { CascadeListener, CascadeRequest, CascadeResult } from './types.js'

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

/** When to hedge, the target hedged against (the first one tried) and the targets the hedge must not use (its region). */
export interface HedgePlan {
  readonly delayMs: number
  readonly first: Target
  readonly skip: ReadonlySet<string>
}

/**
 * The plan for `request`'s cascade, from `latency`'s p95 of its first target (the first not in `request.skip`);
 * undefined: no hedge.
 */
export function planHedge(
  request: Pick<CascadeRequest<unknown, unknown>, 'targets' | 'skip' | 'attemptTimeoutMs'>, latency: LatencyTracker | undefined,
  policy: HedgePolicy, now: number,
): HedgePlan | undefined {
  const first = request.targets.find((t) => !request.skip?.has(targetKey(t)))
  if (first === undefined || latency === undefined) return undefined
  const p95 = latency.health(targetKey(first), now)?.p95Ms
  if (p95 === undefined) return undefined
  const delayMs = Math.max(policy.minDelayMs, p95 * policy.p95Factor)
  // The attempt gives up on the first target by then: the cascade's next target would race the hedge's.
  if (request.attemptTimeoutMs !== undefined && delayMs >= request.attemptTimeoutMs) return undefined
  const skip = new Set(request.targets.filter((t) => t.region === first.region).map(targetKey))
  if (request.targets.every((t) => skip.has(targetKey(t)) || request.skip?.has(targetKey(t)) === true)) return undefined
  return { delayMs, first, skip }
}

/** What a hedged run needs besides the request and its plan. */
export interface HedgeRun<I, O> {
  readonly budget: HedgeBudget
  readonly clock: Clock
  /** Runs one cascade (runCascade; a test's stand-in). */
  readonly run: (r: CascadeRequest<I, O>) => Promise<CascadeResult<O>>
  /** Where the plan's p95 came from: an outrun call's time so far is recorded in it, for its target. */
  readonly latency: LatencyTracker | undefined
  /** Told the target whose call a hedge outran (its breaker hears a timeout): the first cascade's attempt in flight. */
  readonly onSlow: (target: Target) => void
  /** Lets go of an answer that came after the race was won (a stream's open request); absent: dropped. */
  readonly discard?: ((output: O) => void) | undefined
}

/** An attempt a cascade has in flight: its target, and when it started. */
interface InFlight {
  readonly target: Target
  readonly startedAt: number
}

/**
 * Watches a cascade's attempts: `inFlight` is the one it is waiting on, undefined between attempts (a backoff wait,
 * a summary, a breaker or quota check). `listener` is the request's own listener with the watch added: it is still
 * told everything, its `attemptStart` tokens handed back to its `attemptEnd` as they were (mergeListeners).
 */
class AttemptWatch {
  inFlight: InFlight | undefined
  readonly listener: CascadeListener

  constructor(clock: Clock, listener: CascadeListener | undefined) {
    this.listener = mergeListeners(listener, {
      attemptStart: (target): InFlight => (this.inFlight = { target, startedAt: clock.now() }),
      attemptEnd: (token) => {
        if (token === this.inFlight) this.inFlight = undefined
      },
    })
  }
}

/**
 * Runs `request`'s cascade and, if it has not answered after `plan.delayMs` and is still waiting on an attempt of
 * `plan.first` (and the budget allows), the same request on the targets not in `plan.skip`: the first good answer
 * wins, the other cascade is aborted. When both fail, the first cascade's error is thrown (it walked the whole route).
 * A caller's signal aborted already: its reason, and nothing is run.
 */
export function runHedged<I, O>(request: CascadeRequest<I, O>, plan: HedgePlan, hedging: HedgeRun<I, O>): Promise<CascadeResult<O>> {
  const caller = request.signal
  // The legs run on signals of their own, and an abort listener added to an aborted signal never fires.
  if (caller?.aborted) return Promise.reject(caller.reason)
  const { budget, clock, run, latency, onSlow, discard } = hedging
  const primary = new AbortController()
  const hedge = new AbortController()
  const timer = new AbortController()
  const onCallerAbort = (): void => {
    primary.abort(caller?.reason)
    hedge.abort(caller?.reason)
  }
  caller?.addEventListener('abort', onCallerAbort, { once: true })
  const watch = new AttemptWatch(clock, request.listener)
  const first = run({ ...request, signal: primary.signal, listener: watch.listener })
  const firstKey = targetKey(plan.first)

  return new Promise<CascadeResult<O>>((resolve, reject) => {
    let pending = 1
    let firstError: unknown
    let done = false
    const finish = (): void => {
      done = true
      timer.abort()
      caller?.removeEventListener('abort', onCallerAbort)
    }
    const won = (result: CascadeResult<O>, loser: AbortController, outran: InFlight | undefined): void => {
      // Both answered: the second one's abort came too late to stop it, and nobody will read it.
      if (done) return discard?.(result.output)
      finish()
      loser.abort(new HedgeLostError())
      const now = clock.now()
      // Blamed only for a call the hedge outran by its own time: one just started (a retry) is not slow yet.
      if (outran !== undefined && now - outran.startedAt >= plan.delayMs) {
        latency?.record(targetKey(outran.target), now - outran.startedAt, undefined, now)
        onSlow(outran.target)
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
      // Still on the first target, or no hedge (see the module's TSDoc): the plan's skip is about its region only.
      const waitingOn = watch.inFlight
      if (done || caller?.aborted || waitingOn === undefined || targetKey(waitingOn.target) !== firstKey) return
      if (!budget.spend()) return
      pending++
      const skip = new Set([...(request.skip ?? []), ...plan.skip])
      // Read when the hedge wins, not now: by then the first cascade may have moved on (its attempt timed out).
      run({ ...request, signal: hedge.signal, skip, partOf: 'hedge' })
        .then((r) => won(r, primary, watch.inFlight), (e: unknown) => lost(e, false))
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
