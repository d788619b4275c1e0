/** fallback()'s options, as data: exactly the fallback policy's fields (core/fallback/policy.ts). */
import { object } from '../../core/config/index.js'
import { FALLBACK_POLICY_FIELDS } from '../../core/fallback/policy.js'

export const FALLBACK_OPTIONS = object(FALLBACK_POLICY_FIELDS, {
  source: 'breakwater/fallback',
  label: 'a fallback',
  root: { prefix: 'fallback' },
})
