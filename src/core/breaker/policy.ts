/**
 * Breaker policy: defaults merged with the user's options and checked once, at creation time, so a typo or a
 * nonsense value fails the cold start with a clear message instead of quietly never tripping.
 */
import { show } from '../show.js'
import { BreakwaterConfigError } from '../errors.js'
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy } from './types.js'

type NumericField = Exclude<keyof BreakerPolicy, 'probeStages'>

/**
 * The longest cooldown: a day. An open breaker's reopening becomes a caller's Retry-After, and `cooldownMs: 1e300`
 * would say `retry-after: 1e+297`; a target down for longer than a day needs a route change, not a breaker.
 */
export const MAX_COOLDOWN_MS = 86_400_000
/** The longest failure-rate window: an hour of per-second counters is already 3 600 items to read. */
export const MAX_WINDOW_MS = 3_600_000

/** What each numeric field must be, and how to say so. */
const NUMERIC_RULES: Readonly<Record<NumericField, { readonly ok: (v: number) => boolean; readonly must: string }>> = {
  failureRateThreshold: { ok: (v) => v > 0 && v <= 1, must: 'must be a number in (0, 1]' },
  windowMs: { ok: (v) => v > 0 && v <= MAX_WINDOW_MS, must: `must be a positive number of ms, at most ${MAX_WINDOW_MS}` },
  minimumCalls: { ok: (v) => Number.isInteger(v) && v >= 1, must: 'must be a positive integer' },
  consecutiveFailures: { ok: (v) => Number.isInteger(v) && v >= 1, must: 'must be a positive integer' },
  cooldownMs: { ok: (v) => v >= 0 && v <= MAX_COOLDOWN_MS, must: `must be a number of ms from 0 to ${MAX_COOLDOWN_MS} (a day)` },
  cooldownMultiplier: { ok: (v) => v >= 1, must: 'must be a number >= 1 (a cooldown never shrinks on reopen)' },
  maxCooldownMs: { ok: (v) => v >= 0 && v <= MAX_COOLDOWN_MS, must: `must be a number of ms from 0 to ${MAX_COOLDOWN_MS} (a day)` },
  permitLeaseMs: { ok: (v) => v > 0, must: 'must be a positive number of ms' },
  clockSkewMs: { ok: (v) => v >= 0 && v <= 60_000, must: 'must be a number of ms from 0 to 60 000' },
}

const KNOWN_FIELDS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_BREAKER_POLICY))

/**
 * Merges `partial` over `DEFAULT_BREAKER_POLICY` and validates the result. A field given as `undefined` keeps its
 * default. Throws `BreakwaterConfigError(source, 'breaker.<field>', …)` on the first problem found.
 *
 * @example
 * resolvePolicy({ cooldownMs: 30_000, probeStages: [1, 3] }, 'breakwater/circuit-breaker')
 */
export function resolvePolicy(partial: Partial<BreakerPolicy> | undefined, source: string): BreakerPolicy {
  if (partial === undefined) return DEFAULT_BREAKER_POLICY
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new BreakwaterConfigError(source, 'breaker', 'must be an object')
  }
  const given: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(partial)) {
    if (!KNOWN_FIELDS.has(key)) {
      throw new BreakwaterConfigError(source, `breaker.${key}`, `is not a breaker option (known: ${[...KNOWN_FIELDS].join(', ')})`)
    }
    if (value !== undefined) given[key] = value
  }
  const merged = { ...DEFAULT_BREAKER_POLICY, ...given } as Record<string, unknown>

  for (const field of Object.keys(NUMERIC_RULES) as NumericField[]) {
    const value = merged[field]
    const rule = NUMERIC_RULES[field]
    if (typeof value !== 'number' || !Number.isFinite(value) || !rule.ok(value)) {
      throw new BreakwaterConfigError(source, `breaker.${field}`, `${rule.must}, got ${show(value)}`)
    }
  }
  const policy = merged as unknown as BreakerPolicy
  if (policy.maxCooldownMs < policy.cooldownMs) {
    throw new BreakwaterConfigError(source, 'breaker.maxCooldownMs',
      `must be >= cooldownMs (${policy.cooldownMs}), got ${policy.maxCooldownMs}`)
  }
  const probeStages = checkStages(merged.probeStages, source)
  return Object.freeze({ ...policy, probeStages })
}

/** Stages must ramp up: each a positive integer larger than the one before, so a stage never admits fewer probes. */
function checkStages(value: unknown, source: string): readonly number[] {
  const field = 'breaker.probeStages'
  if (!Array.isArray(value) || value.length === 0) {
    throw new BreakwaterConfigError(source, field, `must be a non-empty array of probe counts, got ${show(value)}`)
  }
  let previous = 0
  for (const n of value as unknown[]) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n <= previous) {
      throw new BreakwaterConfigError(source, field, `must be strictly increasing positive integers, got ${show(value)}`)
    }
    previous = n
  }
  return Object.freeze([...(value as number[])])
}

/**
 * A probe's permit must outlive its attempt, or every probe is cut short at its lease and the breaker never closes.
 * Checked where both are known: the preset at creation, a hand-composed stack on its first invocation.
 */
export function checkLeaseCoversAttempt(permitLeaseMs: number, attemptTimeoutMs: number, source: string): void {
  if (permitLeaseMs < attemptTimeoutMs) {
    throw new BreakwaterConfigError(source, 'breaker.permitLeaseMs', `(${permitLeaseMs} ms) must be at least backoff.attemptTimeoutMs (${attemptTimeoutMs} ms): a probe cut short at its lease never closes the breaker`)
  }
}
