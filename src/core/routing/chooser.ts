/**
 * Choosing a request's route: the first matching rule (else the default route), then, if that route has a green
 * cascade, the sticky blue/green split with the canary's verdict. Made once per container (`RouteChooser`), then
 * once per request (`RequestRouting`, holding the tier and split key read from the event).
 */
import type { Clock } from '../clock.js'
import type { BreakerRecord } from '../breaker/types.js'
import type { CanaryMonitor } from './canary.js'
import { isGreen } from './hash.js'
import type { RouteContext } from './predicates.js'
import { firstMatch, type CompiledRule } from './rules.js'

/** A route's green cascade, resolved: the name it is registered under, its weight and its breaker keys. */
export interface GreenSplit {
  readonly route: string
  /** Percent of keys (0–100) that go green while the canary is healthy. */
  readonly weight: number
  readonly targetKeys: readonly string[]
}

/** Reads breaker records (a `CircuitBreaker`: cached per container, so the happy path costs no store call). */
export interface BreakerReader {
  read(key: string): Promise<BreakerRecord>
}

export type RequestFn<T> = (event: unknown, context: unknown) => T

export interface RouteChooserSettings {
  readonly rules: readonly CompiledRule[]
  readonly defaultRoute: string
  /** Blue route name → its green cascade. */
  readonly splits: ReadonlyMap<string, GreenSplit>
  readonly tier: RequestFn<string | undefined>
  readonly splitKey: RequestFn<string | undefined>
  readonly monitor: CanaryMonitor
  readonly clock: Pick<Clock, 'now'>
}

export class RouteChooser {
  /** Green route name → blue route name, to tell the side of an attempt from its route. */
  readonly blueOf: ReadonlyMap<string, string>

  constructor(readonly settings: RouteChooserSettings) {
    this.blueOf = new Map([...settings.splits].map(([blue, g]) => [g.route, blue]))
  }

  /** The routing of one request; its tier and split key are read from the event when first needed. */
  forRequest(event: unknown, context: unknown): RequestRouting {
    return new RequestRouting(this.settings, event, context)
  }
}

export class RequestRouting {
  #tier: string | undefined | null = null
  #splitKey: string | undefined | null = null

  constructor(private readonly s: RouteChooserSettings, readonly event: unknown, readonly context: unknown) {}

  /** The user tier, read from the event on first use (only a `tier` rule needs it). */
  get tier(): string | undefined {
    if (this.#tier === null) this.#tier = this.s.tier(this.event, this.context)
    return this.#tier
  }

  /** The sticky blue/green key, read from the event on first use (only a route with a green cascade needs it). */
  get splitKey(): string | undefined {
    if (this.#splitKey === null) this.#splitKey = this.s.splitKey(this.event, this.context)
    return this.#splitKey
  }

  /** The rule-chosen route (no split): `named` if given, else the first matching rule, else the default. */
  ruleRoute(input?: unknown, named?: string): string {
    if (named !== undefined) return named
    const ctx: RouteContext = { event: this.event, context: this.context, input }
    // The tier is read only if a rule asks for it: reading it means parsing headers or claims. An own, enumerable
    // getter, as an object literal's `get tier()` would be (a custom predicate may spread or log the context).
    Object.defineProperty(ctx, 'tier', { get: () => this.tier, enumerable: true, configurable: true })
    return firstMatch(this.s.rules, ctx) ?? this.s.defaultRoute
  }

  /**
   * The route to call, green variant included: rules (or `named`), then the split. Reads the green targets' breakers
   * only for keys that fall on the green side, so blue traffic pays nothing.
   */
  async chooseRoute(input?: unknown, named?: string, breaker?: BreakerReader): Promise<string> {
    const route = this.ruleRoute(input, named)
    const split = this.s.splits.get(route)
    if (split === undefined || !isGreen(this.splitKey, split.weight)) return route
    const open = breaker ? await this.#anyOpen(split.targetKeys, breaker) : false
    return isGreen(this.splitKey, this.s.monitor.weightFor(route, split.weight, open)) ? split.route : route
  }

  /** Open and still cooling down: an open breaker whose cooldown ended lets probes through, so green gets traffic. */
  async #anyOpen(keys: readonly string[], breaker: BreakerReader): Promise<boolean> {
    const now = this.s.clock.now()
    const records = await Promise.all(keys.map((k) => breaker.read(k)))
    return records.some((r) => r.state === 'open' && r.openUntil > now)
  }
}
