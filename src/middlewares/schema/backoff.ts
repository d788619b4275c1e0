/** backoff()'s options, as data: the policy fields (core/backoff/policy.ts), the retry budget and the clock. */
import { BACKOFF_POLICY_FIELDS, RETRY_BUDGET_OPTIONS } from '../../core/backoff/policy.js'
import { object } from '../../core/config/index.js'
import { CLOCK } from './shared.js'

export const BACKOFF_OPTIONS = object({ ...BACKOFF_POLICY_FIELDS, retryBudget: RETRY_BUDGET_OPTIONS, clock: CLOCK }, {
  source: 'breakwater/backoff',
  label: 'a backoff',
  root: { prefix: 'backoff', except: ['retryBudget', 'clock'] },
})
