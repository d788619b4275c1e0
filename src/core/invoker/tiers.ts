/**
 * Service tiers and latency modes as served: what Bedrock's reply says served a target's request, and whether that
 * is less than the target asked for (a silent downgrade). Read structurally: Converse echoes `serviceTier: { type }`
 * and `performanceConfig: { latency }`; InvokeModel, `serviceTier` and `performanceConfigLatency` (its headers).
 */
import type { LatencyMode, ServiceTier, Target } from '../targets.js'

/** What served a request, as far as the reply says. */
export interface TierServed {
  readonly serviceTier?: ServiceTier
  readonly latency?: LatencyMode
}

/** `reserved` overflows to `default` when the reservation is full; `priority` goes ahead of `default`; `flex` after. */
const RANK: Readonly<Record<ServiceTier, number>> = { reserved: 3, priority: 3, default: 2, flex: 1 }
const isTier = (v: unknown): v is ServiceTier => typeof v === 'string' && Object.hasOwn(RANK, v)
const isLatency = (v: unknown): v is LatencyMode => v === 'standard' || v === 'optimized'

interface TierEcho {
  readonly serviceTier?: unknown
  readonly performanceConfig?: { readonly latency?: unknown } | null
  readonly performanceConfigLatency?: unknown
}

/**
 * What served `target`'s request, of what it asked for (a field it did not ask for is not read); undefined when the
 * target asked for neither or the reply says nothing of them.
 */
export function tierServed(target: Target, output: unknown): TierServed | undefined {
  if ((target.serviceTier === undefined && target.latency === undefined) || typeof output !== 'object' || output === null) return undefined
  const echo = output as TierEcho
  const tier = typeof echo.serviceTier === 'object' && echo.serviceTier !== null
    ? (echo.serviceTier as { readonly type?: unknown }).type
    : echo.serviceTier
  const latency = echo.performanceConfig?.latency ?? echo.performanceConfigLatency
  const served: { serviceTier?: ServiceTier; latency?: LatencyMode } = {}
  if (target.serviceTier !== undefined && isTier(tier)) served.serviceTier = tier
  if (target.latency !== undefined && isLatency(latency)) served.latency = latency
  return served.serviceTier === undefined && served.latency === undefined ? undefined : served
}

/** Served below what was asked: a lower tier than the target's, or standard latency when it asked for optimized. */
export function isDowngrade(target: Target, served: TierServed): boolean {
  const asked = target.serviceTier
  if (asked !== undefined && served.serviceTier !== undefined && RANK[served.serviceTier] < RANK[asked]) return true
  return target.latency === 'optimized' && served.latency === 'standard'
}
