/**
 * Automatic canary abort. Green's traffic drops to 0 while one of its targets' breakers is open, or while its
 * failure rate over the last `window` outcomes exceeds blue's by more than `maxFailureRateGap`. Traffic returns
 * when the breakers close (half-open counts as closed here: the probes need traffic), or, after a failure-rate
 * abort, once `cooldownMs` has passed. Either way green's window starts over and must prove itself again: the
 * failures that opened the breaker were judged already, and judging them twice would abort green at once.
 * The two reasons keep their own clocks: an open breaker during a failure-rate abort does not end or extend it.
 * In-container state, like the breaker's cache: each instance judges from the outcomes it saw.
 */
import type { Clock } from '../clock.js'
import { number, object } from '../config/index.js'

export type Side = 'blue' | 'green'

export interface CanarySettings {
  /** Green is aborted while its failure rate exceeds blue's by more than this (0..1). Default 0.1. */
  readonly maxFailureRateGap: number
  /** Outcomes remembered per side and route (the last N). Default 100. */
  readonly window: number
  /** Outcomes each side needs before the failure rates are compared. Default 20. */
  readonly minSamples: number
  /** After a failure-rate abort, how long green gets no traffic before it is tried again, ms. Default 60 000. */
  readonly cooldownMs: number
}

export const DEFAULT_CANARY: CanarySettings = Object.freeze({ maxFailureRateGap: 0.1, window: 100, minSamples: 20, cooldownMs: 60_000 })

const positiveInteger = number({ integer: true, min: 1, must: 'must be a positive integer' })

/** The router's `canary` option: any of the settings; each side's sample quota must fit in its window. */
export const CANARY_OPTIONS = object({
  maxFailureRateGap: number({ min: 0, max: 1 }),
  window: positiveInteger,
  minSamples: positiveInteger,
  cooldownMs: positiveInteger,
}, {
  label: 'a canary',
  refine: [(c: Partial<CanarySettings>) => {
    const window = c.window ?? DEFAULT_CANARY.window
    if ((c.minSamples ?? DEFAULT_CANARY.minSamples) <= window) return undefined
    return { at: 'minSamples', problem: `cannot exceed canary.window (${window})` }
  }],
})

export type AbortReason = 'green-open' | 'failure-rate'
export type CanaryEvent =
  | {
    readonly type: 'aborted'; readonly route: string; readonly reason: AbortReason
    /** Both sides' failure rates, on a failure-rate abort only. */
    readonly greenFailureRate?: number; readonly blueFailureRate?: number
  }
  | { readonly type: 'resumed'; readonly route: string }
export type CanaryListener = (event: CanaryEvent) => void

/** The last N outcomes, as a ring. */
class OutcomeWindow {
  readonly #ok: boolean[] = []
  #next = 0
  #failures = 0
  constructor(private readonly size: number) {}
  add(ok: boolean): void {
    if (this.#ok.length < this.size) this.#ok.push(ok)
    else {
      if (!(this.#ok[this.#next] as boolean)) this.#failures--
      this.#ok[this.#next] = ok
      this.#next = (this.#next + 1) % this.size
    }
    if (!ok) this.#failures++
  }
  get count(): number { return this.#ok.length }
  get failureRate(): number { return this.#ok.length === 0 ? 0 : this.#failures / this.#ok.length }
}

interface RouteCanary {
  readonly blue: OutcomeWindow
  green: OutcomeWindow
  aborted: AbortReason | undefined
  /** A pending failure-rate abort: when green may be tried again. Kept while a breaker-open abort shows instead. */
  failureRateUntil: number | undefined
}

/** The 'aborted' event; a failure-rate abort also tells both sides' failure rates. */
function abortedEvent(route: string, reason: AbortReason, c: RouteCanary): CanaryEvent {
  if (reason !== 'failure-rate') return { type: 'aborted', route, reason }
  return { type: 'aborted', route, reason, greenFailureRate: c.green.failureRate, blueFailureRate: c.blue.failureRate }
}

export class CanaryMonitor {
  readonly settings: CanarySettings
  readonly #routes = new Map<string, RouteCanary>()
  readonly #clock: Pick<Clock, 'now'>
  readonly #listener: CanaryListener | undefined

  constructor(options: { settings?: Partial<CanarySettings>; clock: Pick<Clock, 'now'>; listener?: CanaryListener }) {
    this.settings = Object.freeze({ ...DEFAULT_CANARY, ...options.settings })
    this.#clock = options.clock
    this.#listener = options.listener
  }

  /** One outcome of a call served by `route`'s blue or green cascade (ok = no failure counted against it). */
  record(route: string, side: Side, ok: boolean): void {
    this.#of(route)[side].add(ok)
  }

  /** Green's and blue's failure rates over the window, for logs and tests. */
  failureRates(route: string): { blue: number; green: number } {
    const c = this.#of(route)
    return { blue: c.blue.failureRate, green: c.green.failureRate }
  }

  /** Why green is aborted, or undefined while it takes traffic. */
  abortedFor(route: string): AbortReason | undefined {
    return this.#routes.get(route)?.aborted
  }

  /**
   * Green's effective weight now: `baseWeight`, or 0 while aborted. `greenOpen`: is a green target's breaker open?
   * Emits 'aborted' when green loses its traffic and 'resumed' when it gets it back.
   */
  weightFor(route: string, baseWeight: number, greenOpen: boolean): number {
    const c = this.#of(route)
    const next = this.#verdict(c, greenOpen)
    if (next !== c.aborted) {
      const was = c.aborted
      c.aborted = next
      if (next !== undefined && was === undefined) this.#emit(abortedEvent(route, next, c))
      if (next === undefined) this.#emit({ type: 'resumed', route })
    }
    return next === undefined ? baseWeight : 0
  }

  #verdict(c: RouteCanary, greenOpen: boolean): AbortReason | undefined {
    if (greenOpen) return 'green-open'
    const now = this.#clock.now()
    if (c.failureRateUntil !== undefined) {
      if (now < c.failureRateUntil) return 'failure-rate'
      c.failureRateUntil = undefined
      this.#startOver(c)
      return undefined
    }
    if (c.aborted === 'green-open') { this.#startOver(c); return undefined } // the breaker closed (or half-opened)
    const { minSamples, maxFailureRateGap, cooldownMs } = this.settings
    if (c.green.count < minSamples || c.blue.count < minSamples) return undefined
    if (c.green.failureRate - c.blue.failureRate <= maxFailureRateGap) return undefined
    c.failureRateUntil = now + cooldownMs
    return 'failure-rate'
  }

  /** Green must prove itself again on fresh outcomes. */
  #startOver(c: RouteCanary): void {
    c.green = new OutcomeWindow(this.settings.window)
  }

  #of(route: string): RouteCanary {
    let c = this.#routes.get(route)
    if (!c) {
      const { window } = this.settings
      c = { blue: new OutcomeWindow(window), green: new OutcomeWindow(window), aborted: undefined, failureRateUntil: undefined }
      this.#routes.set(route, c)
    }
    return c
  }

  #emit(event: CanaryEvent): void {
    try { this.#listener?.(event) } catch { /* a logging hook must not fail the call */ }
  }
}
