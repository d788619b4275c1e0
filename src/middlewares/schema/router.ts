/**
 * router()'s options, as data: routes (cascades of targets, blue/green, invokeModel), rules, the request keys, the
 * canary, the Bedrock clients and the collaborators. The preset holds the same fields at its top level.
 */
import { CLIENT_OPTIONS } from '../../aws/bedrock-clients.js'
import {
  boolean, func, list, literal, methods, number, object, oneOf, record, required, string, type Refine,
} from '../../core/config/index.js'
import { CANARY_OPTIONS } from '../../core/routing/canary.js'
import { RULES, rulesNaming, type Rule } from '../../core/routing/rules.js'
import { show } from '../../core/show.js'
import { modelFamily, modelRegionKey, TARGET, type Target } from '../../core/targets.js'
import { GREEN_SUFFIX } from '../routes.js'
import { CLOCK, OBSERVABILITY } from './shared.js'

export const ROUTER_SOURCE = 'breakwater/router'

const TARGETS = list(TARGET, { minLength: 1, must: 'must be a non-empty list of targets' })

interface RouteObject {
  readonly targets: readonly Target[]
  readonly invokeModel?: boolean
  readonly green?: { readonly targets: readonly Target[] }
}

const familiesOf = (targets: readonly Target[]): string[] => [...new Set(targets.map((t) => modelFamily(t.model)))]

/** invokeModel() sends one raw body down the whole cascade: every target must read it, so one model family. */
const oneFamily: Refine<RouteObject> = (route) => {
  if (route.invokeModel !== true) return undefined
  const blue = familiesOf(route.targets)
  if (blue.length > 1) {
    return {
      at: 'targets',
      problem: `serves invokeModel() but mixes model families (${blue.join(', ')}): raw bodies can only fall back within one family`,
    }
  }
  const all = familiesOf([...route.targets, ...(route.green?.targets ?? [])])
  return all.length > 1
    ? { at: 'green.targets', problem: `serves invokeModel() but mixes model families with blue (${all.join(', ')})` }
    : undefined
}

const GREEN = object({
  targets: required(TARGETS, 'is required: a non-empty list of targets'),
  weight: required(number({ min: 0, max: 100, must: 'must be a percentage from 0 to 100' }), 'is required: a percentage from 0 to 100'),
}, { label: 'a green', must: 'must be { targets, weight }' })

const ROUTE = oneOf([
  TARGETS,
  object({ targets: required(TARGETS, 'is required: a non-empty list of targets'), invokeModel: boolean(), green: GREEN }, {
    label: 'a route', refine: [oneFamily],
  }),
], { must: 'must be a list of targets or { targets, invokeModel?, green? }' })

const hasGreen = (spec: unknown): boolean =>
  typeof spec === 'object' && spec !== null && !Array.isArray(spec) && (spec as { green?: unknown }).green !== undefined

type Routes = Readonly<Record<string, unknown>>

/** A green cascade is registered as a route of its own, `name#green`: that name must be free. */
const greenNamesFree: Refine<Routes> = (routes) => {
  const clashes = (name: string): boolean => name.endsWith(GREEN_SUFFIX) || Object.hasOwn(routes, `${name}${GREEN_SUFFIX}`)
  const taken = Object.entries(routes).find(([name, spec]) => hasGreen(spec) && clashes(name))
  return taken && { at: `${taken[0]}.green`, problem: `is registered as "${taken[0]}${GREEN_SUFFIX}", which is taken by another route` }
}

const targetsOf = (spec: unknown): { at: string; target: Target }[] => {
  const route = Array.isArray(spec) ? { targets: spec as Target[] } : (spec as RouteObject)
  return [
    ...route.targets.map((target, i) => ({ at: Array.isArray(spec) ? `[${i}]` : `.targets[${i}]`, target })),
    ...(route.green?.targets ?? []).map((target, i) => ({ at: `.green.targets[${i}]`, target })),
  ]
}

/** A quota is Bedrock's, per model and region: wherever a target appears, it is the same one (or left out). */
const quotasAgree: Refine<Routes> = (routes) => {
  const seen = new Map<string, { at: string; quota: string }>()
  for (const [name, spec] of Object.entries(routes)) {
    for (const { at, target } of targetsOf(spec)) {
      if (target.quota === undefined) continue
      const key = modelRegionKey(target)
      const quota = JSON.stringify([target.quota.requestsPerMinute, target.quota.tokensPerMinute])
      const first = seen.get(key)
      if (first === undefined) seen.set(key, { at: `${name}${at}`, quota })
      else if (first.quota !== quota) {
        const problem = `differs from the quota ${key} has at routes.${first.at}: one model and region has one quota`
        return { at: `${name}${at}.quota`, problem }
      }
    }
  }
  return undefined
}

const ROUTES = record(ROUTE, {
  minKeys: 1,
  must: 'must be an object of named routes, e.g. { default: ["model@us-east-1"] }',
  refine: [greenNamesFree, quotasAgree],
})

/** The router's fields; the preset has them at its top level. */
export const ROUTER_FIELDS = {
  routes: required(ROUTES, 'is required: named routes, e.g. { default: ["model@us-east-1"] }'),
  defaultRoute: string({ must: 'must be the name of a route' }),
  rules: RULES,
  tier: func('(event, context) => string | undefined'),
  splitKey: oneOf([literal('user', 'session'), func()], { must: "must be 'user', 'session' or a function (event, context) => string" }),
  canary: CANARY_OPTIONS,
  client: CLIENT_OPTIONS,
  tracer: methods(['getSegment', 'setSegment', 'isTracingEnabled']),
  slowFactor: number({ min: 1 }),
  latencyMetric: boolean(),
  clock: CLOCK,
  random: func('() => number in [0, 1)'),
  ...OBSERVABILITY,
} as const

interface RouterValues { readonly routes: Routes; readonly defaultRoute?: string; readonly rules?: readonly Rule[] }

/** Every route a call can name: the declared ones and the green cascades registered beside them. */
const servedRoutes = (routes: Routes): string[] =>
  Object.entries(routes).flatMap(([name, spec]) => (hasGreen(spec) ? [name, `${name}${GREEN_SUFFIX}`] : [name]))

const defaultRouteServed: Refine<RouterValues> = (o) => {
  if (o.defaultRoute === undefined || servedRoutes(o.routes).includes(o.defaultRoute)) return undefined
  const have = servedRoutes(o.routes).join(', ')
  return { at: 'defaultRoute', problem: `names no configured route (got ${show(o.defaultRoute)}; have: ${have})`, source: ROUTER_SOURCE }
}

/** Rules pick a declared route (a green cascade is reached through its blue route's split, never by a rule). */
const rulesNameRoutes: Refine<RouterValues> = (o) => {
  const issue = rulesNaming(Object.keys(o.routes))(o.rules ?? [])
  return issue && { ...issue, at: `rules${issue.at ?? ''}`, source: ROUTER_SOURCE }
}

/** The router's cross-field rules; the preset checks them too. */
export const ROUTER_REFINES: readonly Refine<never>[] = [defaultRouteServed, rulesNameRoutes]

export const ROUTER_OPTIONS = object(ROUTER_FIELDS, { source: ROUTER_SOURCE, refine: ROUTER_REFINES })
