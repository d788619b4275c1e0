/** Parsing and checking the router's `routes` option at init. */
import { BreakwaterConfigError } from '../core/errors.js'
import { show } from '../core/show.js'
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

export function resolveRoutes(routes: unknown): Map<string, ResolvedRoute> {
  if (typeof routes !== 'object' || routes === null || Array.isArray(routes)) {
    throw new BreakwaterConfigError(SOURCE, 'routes', 'must be an object of named routes, e.g. { default: ["model@us-east-1"] }')
  }
  const entries = Object.entries(routes as Record<string, unknown>)
  if (entries.length === 0) throw new BreakwaterConfigError(SOURCE, 'routes', 'must name at least one route')
  const resolved = new Map<string, ResolvedRoute>()
  for (const [name, spec] of entries) {
    const route = resolveRoute(name, spec)
    resolved.set(name, route)
    if (route.green) {
      if (name.endsWith(GREEN_SUFFIX) || (routes as Record<string, unknown>)[route.green.route] !== undefined) {
        throw new BreakwaterConfigError(SOURCE, `routes.${name}.green`, `is registered as "${route.green.route}", which is taken by another route`)
      }
      const greenSpec = (spec as { green: { targets: unknown[] }; invokeModel?: boolean }).green
      const green = resolveRoute(route.green.route, greenSpec.targets, `routes.${name}.green.targets`)
      if (spec && (spec as { invokeModel?: boolean }).invokeModel === true && new Set([...route.families, ...green.families]).size > 1) {
        throw new BreakwaterConfigError(SOURCE, `routes.${name}.green.targets`, `serves invokeModel() but mixes model families with blue (${[...new Set([...route.families, ...green.families])].join(', ')})`)
      }
      resolved.set(green.name, withBlueNet(green, route))
    }
  }
  return resolved
}

function resolveRoute(name: string, spec: unknown, fieldName?: string): ResolvedRoute {
  const field = fieldName ?? `routes.${name}`
  const isList = Array.isArray(spec)
  if (!isList && (typeof spec !== 'object' || spec === null)) throw new BreakwaterConfigError(SOURCE, field, 'must be a list of targets or { targets, invokeModel? }')
  const obj = spec as { targets?: unknown; invokeModel?: unknown; green?: unknown }
  if (!isList) {
    const unknown = Object.keys(obj).find((k) => !ROUTE_KEYS.includes(k))
    if (unknown) throw new BreakwaterConfigError(SOURCE, `${field}.${unknown}`, `is not a route option (known: ${ROUTE_KEYS.join(', ')})`)
    if (obj.invokeModel !== undefined && typeof obj.invokeModel !== 'boolean') throw new BreakwaterConfigError(SOURCE, `${field}.invokeModel`, 'must be a boolean')
  }
  const green = isList || obj.green === undefined ? undefined : checkGreen(obj.green, `${field}.green`, `${name}${GREEN_SUFFIX}`)
  const list = isList ? (spec as unknown[]) : obj.targets
  const listField = isList ? field : `${field}.targets`
  if (!Array.isArray(list) || list.length === 0) throw new BreakwaterConfigError(SOURCE, listField, 'must be a non-empty list of targets')
  const targets = list.map((t, i) => parseTarget(t as TargetSpec, `${listField}[${i}]`, SOURCE))
  const families = [...new Set(targets.map((t) => modelFamily(t.model)))]
  if (!isList && obj.invokeModel === true && families.length > 1) {
    throw new BreakwaterConfigError(SOURCE, `${field}.targets`, `serves invokeModel() but mixes model families (${families.join(', ')}): raw bodies can only fall back within one family`)
  }
  return Object.freeze({ name, targets: Object.freeze(targets), families: Object.freeze(families), ...(green && { green }) })
}

const ROUTE_KEYS = ['targets', 'invokeModel', 'green']

function checkGreen(green: unknown, field: string, route: string): { route: string; weight: number } {
  if (typeof green !== 'object' || green === null || Array.isArray(green)) throw new BreakwaterConfigError(SOURCE, field, 'must be { targets, weight }')
  const { targets, weight, ...rest } = green as { targets?: unknown; weight?: unknown }
  const extra = Object.keys(rest)[0]
  if (extra !== undefined) throw new BreakwaterConfigError(SOURCE, `${field}.${extra}`, 'is not a green option (known: targets, weight)')
  if (!Array.isArray(targets) || targets.length === 0) throw new BreakwaterConfigError(SOURCE, `${field}.targets`, 'must be a non-empty list of targets')
  if (typeof weight !== 'number' || !(weight >= 0 && weight <= 100)) throw new BreakwaterConfigError(SOURCE, `${field}.weight`, `must be a percentage from 0 to 100 (got ${show(weight)})`)
  return Object.freeze({ route, weight })
}

/** The route used when the request names none: `defaultRoute`, else "default", else the first route. */
export function resolveDefaultRoute(routes: ReadonlyMap<string, ResolvedRoute>, defaultRoute: unknown): string {
  if (defaultRoute === undefined) return routes.has('default') ? 'default' : ([...routes.keys()][0] as string)
  if (typeof defaultRoute !== 'string' || !routes.has(defaultRoute)) {
    throw new BreakwaterConfigError(SOURCE, 'defaultRoute', `names no configured route (have: ${[...routes.keys()].join(', ')})`)
  }
  return defaultRoute
}
