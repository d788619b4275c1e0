/**
 * Option checking for the backoff policy and the retry budget: defaults merged with what the user gave, every field
 * checked once when the middleware is created, so a typo fails the deploy's first invoke and not a throttled
 * request three weeks later.
 */
import { boolean, number, object, parseOptions, type NumberSchema } from '../config/index.js'
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

const ms = (rule: Omit<NumberSchema, 'kind' | 'unit'>): NumberSchema => number({ unit: 'ms', ...rule })
const LAMBDA = "Lambda's longest timeout"

/** The backoff policy's fields, as data (defaults: DEFAULT_BACKOFF_POLICY). backoff()'s options hold them. */
export const BACKOFF_POLICY_FIELDS = {
  baseMs: ms({ min: 0 }),
  throttleBaseMs: ms({ min: 0 }),
  capMs: ms({ min: 0, max: MAX_LAMBDA_MS, why: LAMBDA }),
  maxAttempts: number({ integer: true, min: 1 }),
  reserveMs: ms({ min: 0, max: MAX_RESERVE_MS, why: 'a larger reserve is larger than any sane timeout' }),
  minAttemptMs: ms({ min: 0, max: MAX_LAMBDA_MS, why: LAMBDA }),
  attemptTimeoutMs: ms({ above: 0, max: MAX_LAMBDA_MS, why: LAMBDA }),
  honourRetryAfter: boolean(),
  reopenWaitMs: ms({ min: 0, max: MAX_LAMBDA_MS, why: LAMBDA }),
} as const

const BACKOFF_POLICY = object(BACKOFF_POLICY_FIELDS, { label: 'a backoff' })

/** The retry budget (backoff()'s `retryBudget`), as data (defaults: DEFAULT_RETRY_BUDGET). */
export const RETRY_BUDGET_OPTIONS = object({
  ratio: number({ min: 0, max: MAX_BUDGET_RATIO }),
  minRetriesPerSecond: number({ min: 0 }),
  windowMs: number({
    integer: true, step: 1_000, min: MIN_BUDGET_WINDOW_MS, max: MAX_BUDGET_WINDOW_MS,
    must: `must be a whole number of seconds in ms, from ${MIN_BUDGET_WINDOW_MS} to ${MAX_BUDGET_WINDOW_MS}`,
    why: 'the window is kept as 1-second buckets',
  }),
}, { label: 'a retryBudget' })

/**
 * The backoff policy with defaults filled in, checked and frozen. A key given as `undefined` keeps its default,
 * so options read from optional environment variables can be passed straight through.
 * @throws BreakwaterConfigError naming `backoff.<field>`.
 */
export function resolveBackoffPolicy(partial: Partial<BackoffPolicy> | undefined, source: string): BackoffPolicy {
  if (partial === undefined) return DEFAULT_BACKOFF_POLICY
  return Object.freeze({ ...DEFAULT_BACKOFF_POLICY, ...parseOptions(BACKOFF_POLICY, partial, source, 'backoff') })
}

/**
 * The retry budget policy with defaults filled in, checked and frozen.
 * @throws BreakwaterConfigError naming `retryBudget.<field>`.
 */
export function resolveRetryBudgetPolicy(
  partial: Partial<RetryBudgetPolicy> | undefined,
  source: string,
): RetryBudgetPolicy {
  if (partial === undefined) return DEFAULT_RETRY_BUDGET
  return Object.freeze({ ...DEFAULT_RETRY_BUDGET, ...parseOptions(RETRY_BUDGET_OPTIONS, partial, source, 'retryBudget') })
}
