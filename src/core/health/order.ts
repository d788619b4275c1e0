/**
 * Health-aware order of a cascade: a region that is much slower than another region of the same model sinks below
 * it. Slower is judged on the median, not a tail percentile: a container's first calls to a region (connection
 * set-up, cold code) and the odd long answer are a few slow samples that would otherwise sink a healthy region, and
 * a sunk region gets no traffic to wash them out until they age out. A region that is really slow is slow at the
 * median; its tail is what `attemptTimeoutMs` is for. The order across models is the route's, untouched: it says
 * which model the user prefers, and a faster smaller model is not a better answer. Open targets need nothing here:
 * the breaker skips them with no call.
 */
import { targetKey, type Target } from '../targets.js'
import type { LatencyTracker } from './latency.js'

export interface HealthOrderOptions {
  /**
   * A target sinks when its median latency is more than this many times the best median among the targets of the same
   * model. Default 2.
   */
  readonly slowFactor?: number
  /**
   * A target sinks only when its median is also at least this many ms above the best: at the scale of a few ms (or a
   * few dozen), a "2× slower" region is connection set-up and noise, not health. Default 250.
   */
  readonly minGapMs?: number
}

export const DEFAULT_SLOW_FACTOR = 2
export const DEFAULT_MIN_GAP_MS = 250

/**
 * The targets in the order to try them: within the positions the route gives one model, its regions that are not
 * slow come first (in the route's order), then the slow ones (in the route's order). A region is slow when its median
 * exceeds both `slowFactor` × the best median of its siblings and that best median + `minGapMs`. Targets the tracker
 * does not yet know (fewer samples than it needs) are never slow. Returns `targets` itself when nothing moves, so the happy
 * path allocates nothing beyond the grouping.
 *
 * @example
 * const latency = new LatencyTracker()                       // once per container
 * const targets = orderByHealth(route.targets, latency)      // per call, before runCascade
 */
export function orderByHealth(targets: readonly Target[], tracker: LatencyTracker, options: HealthOrderOptions = {}): readonly Target[] {
  return new HealthOrder(targets, options).order(tracker, tracker.now())
}

/**
 * `orderByHealth` compiled for one list of targets: the grouping by model and the breaker keys are worked out once,
 * so a call pays only for the health of the models that have more than one region.
 */
class HealthOrder {
  readonly #targets: readonly Target[]
  /**
   * Per model with two or more regions: its targets' positions in the list, their keys, and room for their medians
   * (filled and read within one synchronous `order`, so one array per group serves every call).
   */
  readonly #groups: ReadonlyArray<{
    readonly at: readonly number[]; readonly keys: readonly string[]; readonly medians: (number | undefined)[]
  }>
  readonly #slowFactor: number
  readonly #minGapMs: number

  constructor(targets: readonly Target[], options: HealthOrderOptions) {
    this.#slowFactor = options.slowFactor ?? DEFAULT_SLOW_FACTOR
    if (!(this.#slowFactor >= 1)) throw new RangeError(`orderByHealth: slowFactor must be >= 1 (got ${this.#slowFactor})`)
    this.#minGapMs = options.minGapMs ?? DEFAULT_MIN_GAP_MS
    if (!(this.#minGapMs >= 0)) throw new RangeError(`orderByHealth: minGapMs must be >= 0 (got ${this.#minGapMs})`)
    this.#targets = targets
    const byModel = new Map<string, number[]>()
    targets.forEach((t, i) => {
      const at = byModel.get(t.model)
      if (at === undefined) byModel.set(t.model, [i])
      else at.push(i)
    })
    // A model with one region has nothing to reorder: its health is not even read.
    this.#groups = [...byModel.values()]
      .filter((at) => at.length > 1)
      .map((at) => ({ at, keys: at.map((i) => targetKey(targets[i] as Target)), medians: at.map(() => undefined) }))
  }

  order(tracker: LatencyTracker, now: number): readonly Target[] {
    let out: Target[] | undefined
    for (const group of this.#groups) {
      const medians = group.medians
      let best = Infinity
      let known = 0
      for (let j = 0; j < group.keys.length; j++) {
        const m = tracker.health(group.keys[j] as string, now)?.p50Ms
        medians[j] = m
        if (m !== undefined) { known++; if (m < best) best = m }
      }
      if (known < 2) continue
      const limit = Math.max(this.#slowFactor * best, best + this.#minGapMs)
      const isSlow = (m: number | undefined): boolean => m !== undefined && m > limit
      if (!medians.some(isSlow)) continue
      // Each model keeps the positions the route gave it; only who fills them changes.
      const fill = [...group.at.filter((_, j) => !isSlow(medians[j])), ...group.at.filter((_, j) => isSlow(medians[j]))]
      out ??= [...this.#targets]
      group.at.forEach((position, j) => { out![position] = this.#targets[fill[j] as number] as Target })
    }
    return out ?? this.#targets
  }
}

/**
 * A route's cascade in health order, with its canary net: on a green route (`ownTargets` of `targets` are green's,
 * the rest blue's) the two parts are ordered apart, so a slow green region never lets blue's targets jump ahead of
 * green's, and `canaryNet` is blue's first. Compiled once per route by the engine.
 */
export class RouteOrder {
  readonly #whole: HealthOrder | undefined
  /** The whole route's order as given, handed out whenever health moves nothing (no object per call). */
  readonly #asGiven: { readonly targets: readonly Target[] }
  readonly #green: HealthOrder | undefined
  readonly #blue: HealthOrder | undefined

  constructor(targets: readonly Target[], ownTargets: number | undefined, options: HealthOrderOptions = {}) {
    this.#asGiven = Object.freeze({ targets })
    if (ownTargets === undefined || ownTargets >= targets.length) {
      this.#whole = new HealthOrder(targets, options)
    } else {
      this.#green = new HealthOrder(targets.slice(0, ownTargets), options)
      this.#blue = new HealthOrder(targets.slice(ownTargets), options)
    }
  }

  /** The order now (`now` read once by the caller for the whole call). */
  order(latency: LatencyTracker, now = latency.now()): { readonly targets: readonly Target[]; readonly canaryNet?: Target } {
    if (this.#whole !== undefined) {
      const targets = this.#whole.order(latency, now)
      return targets === this.#asGiven.targets ? this.#asGiven : { targets }
    }
    const blue = (this.#blue as HealthOrder).order(latency, now)
    return { targets: [...(this.#green as HealthOrder).order(latency, now), ...blue], canaryNet: blue[0] as Target }
  }
}

/** `RouteOrder` for one call (tests; the engine compiles a RouteOrder per route). */
export function orderCascade(
  targets: readonly Target[], ownTargets: number | undefined, latency: LatencyTracker, options: HealthOrderOptions = {},
): { readonly targets: readonly Target[]; readonly canaryNet?: Target } {
  return new RouteOrder(targets, ownTargets, options).order(latency)
}
