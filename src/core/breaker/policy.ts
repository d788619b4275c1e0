/**
 * Breaker policy: defaults merged with the user's options and checked once, at creation time, so a typo or a
 * nonsense value fails the cold start with a clear message instead of quietly never tripping.
 */
import { BreakwaterConfigError } from '../errors.js'
import { list, number, object, parseOptions, type Refine } from '../config/index.js'
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy } from './types.js'

/**
 * The longest cooldown: a day. An open breaker's reopening becomes a caller's Retry-After, and `cooldownMs: 1e300`
 * would say `retry-after: 1e+297`; a target down for longer than a day needs a route change, not a breaker.
 */
export const MAX_COOLDOWN_MS = 86_400_000
/** The longest failure-rate window: an hour of per-second counters is already 3 600 items to read. */
export const MAX_WINDOW_MS = 3_600_000
/** The most the clocks of instances sharing a table may be apart: more is a broken clock, not skew. */
const MAX_CLOCK_SKEW_MS = 60_000

const positiveInteger = number({ integer: true, min: 1, must: 'must be a positive integer' })
const cooldown = number({
  min: 0,
  max: MAX_COOLDOWN_MS,
  unit: 'ms',
  why: 'a day at most, because an open breaker\'s reopening becomes a caller\'s Retry-After',
})

/** Stages must ramp up: each larger than the one before, so a stage never admits fewer probes. */
const increasing: Refine<readonly number[]> = (stages) =>
  stages.every((n, i) => i === 0 || n > (stages[i - 1] as number))
    ? undefined
    : { problem: `must be strictly increasing (got [${stages.join(', ')}])` }

/** The breaker policy's fields, as data (defaults: DEFAULT_BREAKER_POLICY). circuitBreaker()'s options hold them. */
export const BREAKER_POLICY_FIELDS = {
  failureRateThreshold: number({ above: 0, max: 1 }),
  windowMs: number({ above: 0, max: MAX_WINDOW_MS, unit: 'ms' }),
  minimumCalls: positiveInteger,
  consecutiveFailures: positiveInteger,
  cooldownMs: cooldown,
  cooldownMultiplier: number({ min: 1, why: 'a cooldown never shrinks on reopen' }),
  maxCooldownMs: cooldown,
  probeStages: list(number({ integer: true, above: 0 }), {
    minLength: 1, flat: true, must: 'must be a non-empty list of positive integer probe counts', refine: [increasing],
  }),
  permitLeaseMs: number({ above: 0, unit: 'ms' }),
  clockSkewMs: number({ min: 0, max: MAX_CLOCK_SKEW_MS, unit: 'ms' }),
} as const

/** The cooldown grows on reopens up to maxCooldownMs, so that cap cannot be below where it starts. */
export const cooldownFitsCap: Refine<Partial<BreakerPolicy>> = (p) => {
  const cooldownMs = p.cooldownMs ?? DEFAULT_BREAKER_POLICY.cooldownMs
  const maxCooldownMs = p.maxCooldownMs ?? DEFAULT_BREAKER_POLICY.maxCooldownMs
  return maxCooldownMs < cooldownMs
    ? { at: 'maxCooldownMs', problem: `must be >= cooldownMs (${cooldownMs}) (got ${maxCooldownMs})` }
    : undefined
}

const BREAKER_POLICY = object(BREAKER_POLICY_FIELDS, { label: 'a breaker', refine: [cooldownFitsCap] })

/**
 * Merges `partial` over `DEFAULT_BREAKER_POLICY`, checked by the schema above. A field given as `undefined` keeps its
 * default. Throws `BreakwaterConfigError(source, 'breaker.<field>', …)` on the first problem found.
 *
 * @example
 * resolvePolicy({ cooldownMs: 30_000, probeStages: [1, 3] }, 'breakwater/circuit-breaker')
 */
export function resolvePolicy(partial: Partial<BreakerPolicy> | undefined, source: string): BreakerPolicy {
  if (partial === undefined) return DEFAULT_BREAKER_POLICY
  const given = parseOptions(BREAKER_POLICY, partial, source, 'breaker')
  const probeStages = Object.freeze([...(given.probeStages ?? DEFAULT_BREAKER_POLICY.probeStages)])
  return Object.freeze({ ...DEFAULT_BREAKER_POLICY, ...given, probeStages })
}

/** What is wrong with a lease shorter than the attempt it covers, or undefined. */
export function leaseProblem(permitLeaseMs: number, attemptTimeoutMs: number): string | undefined {
  if (permitLeaseMs < attemptTimeoutMs) {
    return (
      `(${permitLeaseMs} ms) must be at least backoff.attemptTimeoutMs (${attemptTimeoutMs} ms): a probe cut short at its lease never closes the breaker`
    )
  }
  return undefined
}

/**
 * A probe's permit must outlive its attempt, or every probe is cut short at its lease and the breaker never closes.
 * Checked where both are known: the preset at creation, a hand-composed stack on its first invocation.
 */
export function checkLeaseCoversAttempt(permitLeaseMs: number, attemptTimeoutMs: number, source: string): void {
  const problem = leaseProblem(permitLeaseMs, attemptTimeoutMs)
  if (problem !== undefined) throw new BreakwaterConfigError(source, 'breaker.permitLeaseMs', problem)
}
