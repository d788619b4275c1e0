/** A route as the engine walks it: resolved once at init from the router's `routes` option. */
import { modelFamily, targetKey, type Target } from '../targets.js'

/** The suffix of the name a route's green cascade is registered (and reported in `served.route`) under. */
export const GREEN_SUFFIX = '#green'

export interface ResolvedRoute {
  readonly name: string
  readonly targets: readonly Target[]
  /** The distinct model families in the cascade; invokeModel needs exactly one. */
  readonly families: readonly string[]
  /** The green cascade of a blue/green route: registered as its own route `name#green`. */
  readonly green?: { readonly route: string; readonly weight: number }
  /**
   * On a green route: how many of `targets` are green's own. The rest are blue's, so that green's cascade ends in
   * blue's targets: a failing canary can cost a user latency, never an answer.
   */
  readonly ownTargets?: number
}

/** Green's targets, then blue's that green does not already have. */
export function withBlueNet(green: ResolvedRoute, blue: ResolvedRoute): ResolvedRoute {
  const own = new Set(green.targets.map(targetKey))
  const targets = [...green.targets, ...blue.targets.filter((t) => !own.has(targetKey(t)))]
  const families = [...new Set(targets.map((t) => modelFamily(t.model)))]
  return Object.freeze({ ...green, targets: Object.freeze(targets), families: Object.freeze(families), ownTargets: green.targets.length })
}
