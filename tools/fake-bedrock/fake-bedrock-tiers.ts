/**
 * Service tiers in the fake Bedrock: what a call asks for (Converse's `serviceTier` and `performanceConfig`,
 * InvokeModel's `X-Amzn-Bedrock-Service-Tier` and `-PerformanceConfig-Latency` headers), whether its model and region
 * offer that, and what serves it, echoed in the reply as the real service does.
 */
import type { IncomingHttpHeaders } from 'node:http2'
import type { ErrorReply } from './fake-bedrock-faults.js'

export type FakeServiceTier = 'priority' | 'default' | 'flex' | 'reserved'
export type FakeLatency = 'standard' | 'optimized'

/**
 * What a model and region offer. The first rule matching a call's model and region decides; a call no rule matches
 * is served as it asks. Filters left out match every call.
 */
export interface TierRule {
  readonly model?: string
  readonly region?: string
  /** The service tiers offered; a call asking for another is refused (400 ValidationException). Left out: all. */
  readonly tiers?: readonly FakeServiceTier[]
  /** The latency modes offered, likewise. Left out: both. */
  readonly latencies?: readonly FakeLatency[]
  /** Serves every call at this tier, whatever it asked (a silent downgrade when lower), and says so in the reply. */
  readonly servesTier?: FakeServiceTier
  /** Serves every call at this latency mode, whatever it asked, and says so in the reply. */
  readonly servesLatency?: FakeLatency
}

/** A tier and latency mode, as asked or as served (unset: not asked, so not echoed). */
export interface TierEcho {
  readonly serviceTier?: string | undefined
  readonly latency?: string | undefined
}

const SERVICE_TIER_HEADER = 'x-amzn-bedrock-service-tier'
const LATENCY_HEADER = 'x-amzn-bedrock-performanceconfig-latency'

/** The tier and latency a call asks for: in a Converse body, or in InvokeModel's headers. */
export function tierAsked(body: unknown, headers: IncomingHttpHeaders): TierEcho {
  const b = typeof body === 'object' && body !== null
    ? body as { serviceTier?: { type?: unknown }; performanceConfig?: { latency?: unknown } }
    : {}
  const header = (name: string): string | undefined => {
    const value = headers[name]
    return typeof value === 'string' ? value : undefined
  }
  const tier = b.serviceTier?.type
  const latency = b.performanceConfig?.latency
  return {
    serviceTier: typeof tier === 'string' ? tier : header(SERVICE_TIER_HEADER),
    latency: typeof latency === 'string' ? latency : header(LATENCY_HEADER),
  }
}

/** The refusals, worded as Bedrock words them ("Reservation not found." for a reserved tier without a reservation). */
const refusal = (message: string): ErrorReply => ({ status: 400, errorType: 'ValidationException', message })
export const TIER_REFUSALS = {
  tier: refusal("The provided model doesn't support the requested service tier in this region."),
  reserved: refusal('Reservation not found.'),
  latency: refusal("The provided model doesn't support latency-optimized inference in this region."),
} as const

export class TierBook {
  private rules: readonly TierRule[] = []

  replace(rules: readonly TierRule[]): void {
    this.rules = rules
  }

  /** The refusal of a call asking for what its model and region do not offer, or what serves it. */
  answer(model: string, region: string, asked: TierEcho): { readonly refused: ErrorReply } | { readonly served: TierEcho } {
    const rule = this.rules.find((r) => (r.model === undefined || r.model === model) && (r.region === undefined || r.region === region))
    const tier = asked.serviceTier as FakeServiceTier | undefined
    const latency = asked.latency as FakeLatency | undefined
    if (tier !== undefined && rule?.tiers !== undefined && !rule.tiers.includes(tier)) {
      return { refused: tier === 'reserved' ? TIER_REFUSALS.reserved : TIER_REFUSALS.tier }
    }
    if (latency !== undefined && rule?.latencies !== undefined && !rule.latencies.includes(latency)) {
      return { refused: TIER_REFUSALS.latency }
    }
    return {
      served: {
        serviceTier: tier === undefined ? undefined : (rule?.servesTier ?? tier),
        latency: latency === undefined ? undefined : (rule?.servesLatency ?? latency),
      },
    }
  }
}

/** The echo as Converse's reply body carries it (in the body, or in a stream's `metadata` event). */
export function converseEcho(served: TierEcho | undefined): Record<string, unknown> {
  const echo: Record<string, unknown> = {}
  if (served?.serviceTier !== undefined) echo.serviceTier = { type: served.serviceTier }
  if (served?.latency !== undefined) echo.performanceConfig = { latency: served.latency }
  return echo
}

/** The echo as InvokeModel's reply headers carry it. */
export function invokeEcho(served: TierEcho | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  if (served?.serviceTier !== undefined) headers[SERVICE_TIER_HEADER] = served.serviceTier
  if (served?.latency !== undefined) headers[LATENCY_HEADER] = served.latency
  return headers
}
