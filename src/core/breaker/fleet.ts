/** What a breaker shared by a fleet needs that one container's does not: the rules kept in one place. */
import { DEFAULT_BREAKER_POLICY } from './types.js'
import { FallbackBreakerStore } from './fallback-store.js'
import { MemoryBreakerStore } from './memory-store.js'

/** Instances sharing a store have clocks of their own: the ±2 s a fleet's clocks may differ by. */
export const SHARED_CLOCK_SKEW_MS = 2_000

/**
 * A store shared with other instances: anything but the in-container ones. It can fail (so it runs behind a local
 * fallback) and its records are written by other clocks (so it gets clock-skew room).
 */
export const isSharedStore = (store: unknown): boolean =>
  store !== undefined && !(store instanceof MemoryBreakerStore) && !(store instanceof FallbackBreakerStore)

/**
 * A probe's permit must outlive its attempt: a lease left at its default grows to the attempt timeout (one set
 * shorter is rejected where both are known, `checkLeaseCoversAttempt`). `undefined` keeps the default lease.
 */
export function leaseForAttempt(permitLeaseMs: number | undefined, attemptTimeoutMs: number | undefined): number | undefined {
  if (permitLeaseMs !== undefined || attemptTimeoutMs === undefined) return permitLeaseMs
  return attemptTimeoutMs > DEFAULT_BREAKER_POLICY.permitLeaseMs ? attemptTimeoutMs : undefined
}
