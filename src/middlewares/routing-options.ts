/** The router's routing options (`rules`, `tier`, `splitKey`, `canary`), checked by its schema, built into a chooser. */
import type { Clock } from '../core/clock.js'
import { targetKey } from '../core/targets.js'
import { CanaryMonitor, type CanaryListener, type CanarySettings } from '../core/routing/canary.js'
import { RouteChooser, type GreenSplit } from '../core/routing/chooser.js'
import { defaultTier, defaultUserKey, sessionKey } from '../core/routing/request-keys.js'
import { compileRules, type Rule } from '../core/routing/rules.js'
import type { ResolvedRoute } from './routes.js'

const SOURCE = 'breakwater/router'

/** Reads something about the caller from the Lambda event and context. */
export type RequestKeyFn = (event: unknown, context: unknown) => string | undefined
/** Where the sticky blue/green key comes from. */
export type SplitKey = 'user' | 'session' | RequestKeyFn

export interface RoutingOptions {
  readonly rules?: readonly Rule[]
  readonly tier?: RequestKeyFn
  readonly splitKey?: SplitKey
  readonly canary?: Partial<CanarySettings>
}

export function buildChooser(
  o: RoutingOptions,
  routes: ReadonlyMap<string, ResolvedRoute>,
  defaultRoute: string,
  clock: Clock,
  listener: CanaryListener,
): RouteChooser {
  const declared = [...routes.values()].filter((r) => ![...routes.values()].some((b) => b.green?.route === r.name)).map((r) => r.name)
  const rules = compileRules(o.rules, declared, SOURCE)
  const splits = new Map<string, GreenSplit>()
  for (const r of routes.values()) {
    if (!r.green) continue
    const green = routes.get(r.green.route) as ResolvedRoute
    const own = green.targets.slice(0, green.ownTargets ?? green.targets.length)
    splits.set(r.name, { route: green.name, weight: r.green.weight, targetKeys: own.map(targetKey) })
  }
  return new RouteChooser({
    rules, defaultRoute, splits, clock,
    tier: guarded(o.tier ?? defaultTier),
    splitKey: guarded(resolveSplitKey(o.splitKey)),
    monitor: new CanaryMonitor({ settings: o.canary ?? {}, clock, listener }),
  })
}

/** A user function that throws or returns a non-string gives "unknown", never a failed request. */
const guarded = (fn: RequestKeyFn): RequestKeyFn => (event, context) => {
  try {
    const v = fn(event, context)
    return typeof v === 'string' && v !== '' ? v : undefined
  } catch {
    return undefined
  }
}

function resolveSplitKey(key: SplitKey | undefined): RequestKeyFn {
  if (typeof key === 'function') return key
  return key === 'session' ? sessionKey : defaultUserKey
}
