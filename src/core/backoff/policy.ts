/**
 * Option checking for the backoff policy and the retry budget: defaults merged with what the user gave, every field
 * checked once when the middleware is created, so a typo fails the deploy's first invoke and not a throttled
 * request three weeks later.
 */
import { BreakwaterConfigError } from '../errors.js'
import { show } from '../show.js'
import {
  DEFAULT_BACKOFF_POLICY, DEFAULT_RETRY_BUDGET, type BackoffPolicy, type RetryBudgetPolicy,
} from './types.js'

/**
 * The largest `reserveMs` accepted. Lambda allows 900 s, but the reserve only has to cover writing a degraded
 * reply; one over a minute is a unit mistake (seconds read as ms, or the reserve confused with the timeout).
 */
export const MAX_RESERVE_MS = 60_000

/**
 * Lambda's longest timeout. A wait or an attempt longer than it can never finish, and past 2^31 − 1 ms Node's
 * setTimeout fires after 1 ms instead (TimeoutOverflowWarning), so such a value would turn into no wait at all.
 */
export const MAX_LAMBDA_MS = 900_000

/** The retry budget's window bounds, as Finagle's RetryBudget ttl: long enough to smooth, short enough to react. */
export const MIN_BUDGET_WINDOW_MS = 1_000
export const MAX_BUDGET_WINDOW_MS = 60_000

/** The largest retries-per-request ratio: above 10 a "budget" no longer limits anything. */
export const MAX_BUDGET_RATIO = 10

type Check = (value: unknown) => string | undefined

const nonNegativeTime: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : `must be a finite number of ms >= 0 (got ${show(v)})`
const positiveTime: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : `must be a finite number of ms > 0 (got ${show(v)})`
const lambdaTime = (base: Check): Check => (v) =>
  base(v) ?? ((v as number) > MAX_LAMBDA_MS ? `must be at most ${MAX_LAMBDA_MS} ms, Lambda's longest timeout (got ${show(v)})` : undefined)
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : `must be true or false (got ${show(v)})`)

const BACKOFF_CHECKS: Readonly<Record<keyof BackoffPolicy, Check>> = {
  baseMs: nonNegativeTime,
  throttleBaseMs: nonNegativeTime,
  capMs: lambdaTime(nonNegativeTime),
  maxAttempts: (v) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : `must be an integer >= 1 (got ${show(v)})`),
  reserveMs: (v) =>
    nonNegativeTime(v) ??
    ((v as number) > MAX_RESERVE_MS ? `must be at most ${MAX_RESERVE_MS} ms: a larger reserve is larger than any sane timeout (got ${show(v)})` : undefined),
  minAttemptMs: lambdaTime(nonNegativeTime),
  attemptTimeoutMs: lambdaTime(positiveTime),
  honourRetryAfter: boolean,
}

const BUDGET_CHECKS: Readonly<Record<keyof RetryBudgetPolicy, Check>> = {
  ratio: (v) =>
    typeof v === 'number' && v >= 0 && v <= MAX_BUDGET_RATIO ? undefined : `must be a number in [0, ${MAX_BUDGET_RATIO}] (got ${show(v)})`,
  minRetriesPerSecond: (v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : `must be a finite number >= 0 (got ${show(v)})`,
  // Whole seconds, because the window is kept as 1-second buckets.
  windowMs: (v) =>
    Number.isInteger(v) && (v as number) % 1_000 === 0 && (v as number) >= MIN_BUDGET_WINDOW_MS && (v as number) <= MAX_BUDGET_WINDOW_MS
      ? undefined
      : `must be a whole number of seconds in ms, from ${MIN_BUDGET_WINDOW_MS} to ${MAX_BUDGET_WINDOW_MS} (got ${show(v)})`,
}

/**
 * The backoff policy with defaults filled in, checked and frozen. A key given as `undefined` keeps its default,
 * so options read from optional environment variables can be passed straight through.
 * @throws BreakwaterConfigError naming `backoff.<field>`.
 */
export function resolveBackoffPolicy(partial: Partial<BackoffPolicy> | undefined, source: string): BackoffPolicy {
  return resolve('backoff', DEFAULT_BACKOFF_POLICY, BACKOFF_CHECKS, partial, source)
}

/**
 * The retry budget policy with defaults filled in, checked and frozen.
 * @throws BreakwaterConfigError naming `retryBudget.<field>`.
 */
export function resolveRetryBudgetPolicy(
  partial: Partial<RetryBudgetPolicy> | undefined,
  source: string,
): RetryBudgetPolicy {
  return resolve('retryBudget', DEFAULT_RETRY_BUDGET, BUDGET_CHECKS, partial, source)
}

function resolve<T extends object>(
  prefix: string,
  defaults: T,
  checks: Readonly<Record<keyof T, Check>>,
  partial: Partial<T> | undefined,
  source: string,
): T {
  if (partial === undefined) return defaults
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
    throw new BreakwaterConfigError(source, prefix, `must be an object (got ${show(partial)})`)
  }
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) }
  for (const [key, value] of Object.entries(partial)) {
    if (!Object.hasOwn(checks, key)) {
      throw new BreakwaterConfigError(source, `${prefix}.${key}`, `is not a ${prefix} option (known: ${Object.keys(checks).join(', ')})`)
    }
    if (value !== undefined) merged[key] = value
  }
  for (const [key, check] of Object.entries(checks) as [string, Check][]) {
    const problem = check(merged[key])
    if (problem !== undefined) throw new BreakwaterConfigError(source, `${prefix}.${key}`, problem)
  }
  return Object.freeze(merged) as T
}
