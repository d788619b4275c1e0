/**
 * Health-aware order of a cascade: a region that is much slower than another region of the same model sinks below
 * it. Slower is judged on the median, not a tail percentile: a container's first calls to a region (connection
 * set-up, cold code) and the odd long answer are a few slow samples that would otherwise sink a healthy region, and
 * a sunk region gets no traffic to wash them out until they age out. A region that is really slow is slow at the
 * median; its tail is what `attemptTimeoutMs` is for. The order across models is the route's, untouched: it says which model the user prefers, and a faster
 * smaller model is not a better answer. Open targets need nothing here: the breaker skips them with no call.
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
  const slowFactor = options.slowFactor ?? DEFAULT_SLOW_FACTOR
  if (!(slowFactor >= 1)) throw new RangeError(`orderByHealth: slowFactor must be >= 1 (got ${slowFactor})`)
  const minGapMs = options.minGapMs ?? DEFAULT_MIN_GAP_MS
  if (!(minGapMs >= 0)) throw new RangeError(`orderByHealth: minGapMs must be >= 0 (got ${minGapMs})`)
  if (targets.length < 2) return targets
  const byModel = new Map<string, Array<{ target: Target; median: number | undefined }>>()
  for (const target of targets) {
    const group = byModel.get(target.model) ?? []
    if (group.length === 0) byModel.set(target.model, group)
    group.push({ target, median: undefined })
  }
  const queues = new Map<string, Target[]>()
  let moved = false
  for (const [model, group] of byModel) {
    // A model with one region has nothing to reorder: its health is not even computed.
    if (group.length < 2) continue
    for (const g of group) g.median = tracker.health(targetKey(g.target))?.p50Ms
    const known = group.map((g) => g.median).filter((p): p is number => p !== undefined)
    if (known.length < 2) continue
    const best = Math.min(...known)
    const limit = Math.max(slowFactor * best, best + minGapMs)
    const isSlow = (p: number | undefined): boolean => p !== undefined && p > limit
    const order = [...group.filter((g) => !isSlow(g.median)), ...group.filter((g) => isSlow(g.median))].map((g) => g.target)
    if (order.some((t, i) => t !== group[i]!.target)) moved = true
    queues.set(model, order)
  }
  if (!moved) return targets
  // Each model keeps the positions the route gave it; only who fills them changes.
  return targets.map((t) => queues.get(t.model)?.shift() ?? t)
}

/**
 * A route's cascade in health order, with its canary net: on a green route (`ownTargets` of `targets` are green's,
 * the rest blue's) the two parts are ordered apart, so a slow green region never lets blue's targets jump ahead of
 * green's, and `canaryNet` is blue's first.
 */
export function orderCascade(
  targets: readonly Target[], ownTargets: number | undefined, latency: LatencyTracker, options: HealthOrderOptions = {},
): { readonly targets: readonly Target[]; readonly canaryNet?: Target } {
  if (ownTargets === undefined || ownTargets >= targets.length) return { targets: orderByHealth(targets, latency, options) }
  const blue = orderByHealth(targets.slice(ownTargets), latency, options)
  return { targets: [...orderByHealth(targets.slice(0, ownTargets), latency, options), ...blue], canaryNet: blue[0] as Target }
}
