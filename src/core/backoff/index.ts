/** Backoff math, Lambda-deadline math and the container-wide retry budget. Pure: clock and random are injected. */
export * from './types.js'
export { backoffCeiling, fullJitterDelay, retryDelay, type RetryDelayInput } from './jitter.js'
export { Deadline, withAttemptSignal, type AttemptSignal } from './deadline.js'
export {
  resolveBackoffPolicy, resolveRetryBudgetPolicy,
  MAX_RESERVE_MS, MAX_LAMBDA_MS, MIN_BUDGET_WINDOW_MS, MAX_BUDGET_WINDOW_MS, MAX_BUDGET_RATIO,
} from './policy.js'
export { RetryBudget, type RetryBudgetSnapshot } from './retry-budget.js'
