/** Building the router's `routes` option (checked by its schema, schema/router.ts) into resolved cascades at init. */
import { GREEN_SUFFIX, withBlueNet, type ResolvedRoute } from '../core/routing/route.js'
import { modelFamily, parseTarget, type TargetSpec } from '../core/targets.js'

export { GREEN_SUFFIX, type ResolvedRoute }

/**
 * One route: an ordered cascade of targets, tried first to last.
 * @example ['anthropic.claude-3-5-sonnet-20240620-v1:0@us-east-1', 'anthropic.claude-3-5-sonnet-20240620-v1:0@us-west-2']
 * @example { targets: ['us.anthropic.claude-3-5-haiku-20241022-v1:0@us-east-1'], invokeModel: true }
 */
export type RouteSpec = readonly TargetSpec[] | {
  readonly targets: readonly TargetSpec[]
  /** This route serves `invokeModel()` raw bodies: every target must be of one model family (checked at init). */
  readonly invokeModel?: boolean
  /**
   * A green cascade taking `weight` % of the keys (sticky by the router's `splitKey`); the `targets` above are blue.
   * Green's weight drops to 0 while one of its targets' breakers is open or it fails more than blue (`canary`).
   * @example green: { targets: ['us.anthropic.claude-3-7-sonnet-20250219-v1:0@us-east-1'], weight: 5 }
   */
  readonly green?: { readonly targets: readonly TargetSpec[]; readonly weight: number }
}

const SOURCE = 'breakwater/router'

type RouteObject = Exclude<RouteSpec, readonly TargetSpec[]>

/** The routes, each green cascade registered beside its blue one as `name#green`. */
export function resolveRoutes(routes: Readonly<Record<string, RouteSpec>>): Map<string, ResolvedRoute> {
  const resolved = new Map<string, ResolvedRoute>()
  for (const [name, spec] of Object.entries(routes)) {
    const route = resolveRoute(name, spec)
    resolved.set(name, route)
    if (route.green && !Array.isArray(spec)) {
      const green = resolveRoute(route.green.route, (spec as RouteObject).green?.targets ?? [], `routes.${name}.green.targets`)
      resolved.set(green.name, withBlueNet(green, route))
    }
  }
  return resolved
}

function resolveRoute(name: string, spec: RouteSpec, fieldName?: string): ResolvedRoute {
  const field = fieldName ?? `routes.${name}`
  const list = Array.isArray(spec) ? (spec as readonly TargetSpec[]) : (spec as RouteObject).targets
  const listField = Array.isArray(spec) ? field : `${field}.targets`
  const targets = list.map((t, i) => parseTarget(t, `${listField}[${i}]`, SOURCE))
  const families = [...new Set(targets.map((t) => modelFamily(t.model)))]
  const weight = Array.isArray(spec) ? undefined : (spec as RouteObject).green?.weight
  const green = weight === undefined ? undefined : Object.freeze({ route: `${name}${GREEN_SUFFIX}`, weight })
  const route: { -readonly [K in keyof ResolvedRoute]: ResolvedRoute[K] } = {
    name,
    targets: Object.freeze(targets),
    families: Object.freeze(families),
  }
  if (green) route.green = green
  return Object.freeze(route)
}

/** The route used when the request names none: `defaultRoute`, else "default", else the first route. */
export function resolveDefaultRoute(routes: ReadonlyMap<string, ResolvedRoute>, defaultRoute: string | undefined): string {
  return defaultRoute ?? (routes.has('default') ? 'default' : ([...routes.keys()][0] as string))
}
