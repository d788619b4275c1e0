/** The hedged-requests policy (`fallback({ hedge })`), as data; what it does: invoker/hedge.ts. */
import { boolean, number, object, oneOf } from '../config/index.js'

export interface HedgePolicy {
  /** Hedge after the first target's p95 latency × this. Default 1.5. */
  readonly p95Factor: number
  /** Never hedge sooner than this, ms. Default 200. */
  readonly minDelayMs: number
  /** Extra calls hedging may add, as a share of calls, per container. Default 0.05 (5 %). */
  readonly maxExtraShare: number
}

export const DEFAULT_HEDGE_POLICY: HedgePolicy = Object.freeze({ p95Factor: 1.5, minDelayMs: 200, maxExtraShare: 0.05 })

/** `hedge`: `true` (the defaults) or `{ p95Factor?, minDelayMs?, maxExtraShare? }`; `false` (the default) is off. */
export const HEDGE_OPTIONS = oneOf([boolean(), object({
  p95Factor: number({ min: 1, max: 20 }),
  minDelayMs: number({ min: 0, max: 60_000, unit: 'ms' }),
  maxExtraShare: number({ above: 0, max: 1 }),
}, { label: 'a hedge' })], { must: 'must be a boolean or { p95Factor?, minDelayMs?, maxExtraShare? }' })

export function resolveHedge(hedge: boolean | Partial<HedgePolicy> | undefined): HedgePolicy | undefined {
  if (hedge === undefined || hedge === false) return undefined
  return hedge === true ? DEFAULT_HEDGE_POLICY : Object.freeze({ ...DEFAULT_HEDGE_POLICY, ...hedge })
}

