/** What a breaker shared by a fleet needs that one container's does not: the rules kept in one place. */
import { DEFAULT_BREAKER_POLICY } from './types.js'
import { FallbackBreakerStore } from './fallback-store.js'
import { MemoryBreakerStore } from './memory-store.js'

/** Instances sharing a store have clocks of their own: the ±2 s a fleet's clocks may differ by. */
export const SHARED_CLOCK_SKEW_MS = 2_000

/**
 * A fleet's cooldown: 5 s, not growing. The table hands the half-open probe permits to the whole fleet (one probe,
 * then 5, then 10), so a short cooldown costs a dead target about one call per 5 s fleet-wide, however many
 * containers run, and a recovered target serves again within 5 s of its return. One container's breaker keeps the
 * growing 60 s cooldown: each container probes on its own, so a fleet of them would cost a dead target N calls.
 */
export const SHARED_COOLDOWN_MS = 5_000

type Cooldowns = { cooldownMs?: number | undefined; cooldownMultiplier?: number | undefined; maxCooldownMs?: number | undefined }

/** The cooldown settings of a breaker shared by a fleet: the user's, and the fleet's defaults for the rest. */
export function fleetCooldowns(given: Cooldowns): Required<{ [K in keyof Cooldowns]: number }> {
  const cooldownMs = given.cooldownMs ?? SHARED_COOLDOWN_MS
  const cooldownMultiplier = given.cooldownMultiplier ?? 1
  const maxCooldownMs = given.maxCooldownMs
    ?? (cooldownMultiplier === 1 ? cooldownMs : Math.max(cooldownMs, DEFAULT_BREAKER_POLICY.maxCooldownMs))
  return { cooldownMs, cooldownMultiplier, maxCooldownMs }
}

/**
 * A store shared with other instances: anything but the in-container ones. It can fail (so it runs behind a local
 * fallback) and its records are written by other clocks (so it gets clock-skew room).
 */
export const isSharedStore = (store: unknown): boolean =>
  store !== undefined && !(store instanceof MemoryBreakerStore) && !(store instanceof FallbackBreakerStore)

/**
 * The policy of a breaker shared by a fleet: the user's settings, and for those left unset the fleet's defaults —
 * clock-skew room (other instances write its records) and the short, flat cooldown above.
 */
export function fleetPolicy<P extends Cooldowns & { clockSkewMs?: number | undefined }>(given: P): P {
  return { ...given, ...fleetCooldowns(given), clockSkewMs: given.clockSkewMs ?? SHARED_CLOCK_SKEW_MS }
}

/**
 * A probe's permit must outlive its attempt: a lease left at its default grows to the attempt timeout (one set
 * shorter is rejected where both are known, `checkLeaseCoversAttempt`). `undefined` keeps the default lease.
 */
export function leaseForAttempt(permitLeaseMs: number | undefined, attemptTimeoutMs: number | undefined): number | undefined {
  if (permitLeaseMs !== undefined || attemptTimeoutMs === undefined) return permitLeaseMs
  return attemptTimeoutMs > DEFAULT_BREAKER_POLICY.permitLeaseMs ? attemptTimeoutMs : undefined
}
