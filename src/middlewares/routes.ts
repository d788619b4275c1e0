/** Parsing and checking the router's `routes` option at init. */
import { BreakwaterConfigError } from '../core/errors.js'
import { modelFamily, parseTarget, type Target, type TargetSpec } from '../core/targets.js'

/**
 * One route: an ordered cascade of targets, tried first to last.
 * @example ['anthropic.claude-3-5-sonnet-20240620-v1:0@us-east-1', 'anthropic.claude-3-5-sonnet-20240620-v1:0@us-west-2']
 * @example { targets: ['us.anthropic.claude-3-5-haiku-20241022-v1:0@us-east-1'], invokeModel: true }
 */
export type RouteSpec = readonly TargetSpec[] | {
  readonly targets: readonly TargetSpec[]
  /** This route serves `invokeModel()` raw bodies: every target must be of one model family (checked at init). */
  readonly invokeModel?: boolean
}

export interface ResolvedRoute {
  readonly name: string
  readonly targets: readonly Target[]
  /** The distinct model families in the cascade; invokeModel needs exactly one. */
  readonly families: readonly string[]
}

const SOURCE = 'breakwater/router'

export function resolveRoutes(routes: unknown): Map<string, ResolvedRoute> {
  if (typeof routes !== 'object' || routes === null || Array.isArray(routes)) {
    throw new BreakwaterConfigError(SOURCE, 'routes', 'must be an object of named routes, e.g. { default: ["model@us-east-1"] }')
  }
  const entries = Object.entries(routes as Record<string, unknown>)
  if (entries.length === 0) throw new BreakwaterConfigError(SOURCE, 'routes', 'must name at least one route')
  const resolved = new Map<string, ResolvedRoute>()
  for (const [name, spec] of entries) resolved.set(name, resolveRoute(name, spec))
  return resolved
}

function resolveRoute(name: string, spec: unknown): ResolvedRoute {
  const field = `routes.${name}`
  const isList = Array.isArray(spec)
  if (!isList && (typeof spec !== 'object' || spec === null)) throw new BreakwaterConfigError(SOURCE, field, 'must be a list of targets or { targets, invokeModel? }')
  const obj = spec as { targets?: unknown; invokeModel?: unknown }
  if (!isList) {
    const unknown = Object.keys(obj).find((k) => k !== 'targets' && k !== 'invokeModel')
    if (unknown) throw new BreakwaterConfigError(SOURCE, `${field}.${unknown}`, 'is not a route option (known: targets, invokeModel)')
    if (obj.invokeModel !== undefined && typeof obj.invokeModel !== 'boolean') throw new BreakwaterConfigError(SOURCE, `${field}.invokeModel`, 'must be a boolean')
  }
  const list = isList ? (spec as unknown[]) : obj.targets
  const listField = isList ? field : `${field}.targets`
  if (!Array.isArray(list) || list.length === 0) throw new BreakwaterConfigError(SOURCE, listField, 'must be a non-empty list of targets')
  const targets = list.map((t, i) => parseTarget(t as TargetSpec, `${listField}[${i}]`, SOURCE))
  const families = [...new Set(targets.map((t) => modelFamily(t.model)))]
  if (!isList && obj.invokeModel === true && families.length > 1) {
    throw new BreakwaterConfigError(SOURCE, `${field}.targets`, `serves invokeModel() but mixes model families (${families.join(', ')}): raw bodies can only fall back within one family`)
  }
  return Object.freeze({ name, targets: Object.freeze(targets), families: Object.freeze(families) })
}

/** The route used when the request names none: `defaultRoute`, else "default", else the first route. */
export function resolveDefaultRoute(routes: ReadonlyMap<string, ResolvedRoute>, defaultRoute: unknown): string {
  if (defaultRoute === undefined) return routes.has('default') ? 'default' : ([...routes.keys()][0] as string)
  if (typeof defaultRoute !== 'string' || !routes.has(defaultRoute)) {
    throw new BreakwaterConfigError(SOURCE, 'defaultRoute', `names no configured route (have: ${[...routes.keys()].join(', ')})`)
  }
  return defaultRoute
}
