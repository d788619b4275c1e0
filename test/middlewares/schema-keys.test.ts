/**
 * Each option schema names exactly the keys of the options interface it checks. The interfaces live with their
 * middlewares and the schemas beside them (schema/*.ts), and neither imports the other (no import circle), so this
 * is where the two meet: a key added to one and not the other fails `tsc --noEmit`, which `npm test` runs.
 */
import type { BedrockClientPoolOptions } from '../../src/aws/bedrock-clients.js'
import type { CLIENT_OPTIONS } from '../../src/aws/bedrock-clients.js'
import type { BACKOFF_POLICY_FIELDS, RETRY_BUDGET_OPTIONS } from '../../src/core/backoff/policy.js'
import type { BackoffPolicy, RetryBudgetPolicy } from '../../src/core/backoff/types.js'
import type { BREAKER_POLICY_FIELDS } from '../../src/core/breaker/policy.js'
import type { BreakerPolicy } from '../../src/core/breaker/types.js'
import type { FALLBACK_POLICY_FIELDS} from '../../src/core/fallback/policy.js';
import type { FallbackPolicyOptions } from '../../src/core/fallback/policy.js'
import type { CANARY_OPTIONS} from '../../src/core/routing/canary.js';
import type { CanarySettings } from '../../src/core/routing/canary.js'
import type { BackoffOptions } from '../../src/middlewares/backoff.js'
import type { BreakwaterOptions } from '../../src/middlewares/breakwater.js'
import type { CircuitBreakerOptions } from '../../src/middlewares/circuit-breaker.js'
import type { FallbackOptions } from '../../src/middlewares/fallback.js'
import type { GracefulDegradationOptions } from '../../src/middlewares/graceful-degradation.js'
import type { RouterOptions } from '../../src/middlewares/router.js'
import type { BACKOFF_OPTIONS } from '../../src/middlewares/schema/backoff.js'
import { BREAKWATER_OPTIONS } from '../../src/middlewares/schema/breakwater.js'
import type { CIRCUIT_BREAKER_OPTIONS } from '../../src/middlewares/schema/circuit-breaker.js'
import type { FALLBACK_OPTIONS } from '../../src/middlewares/schema/fallback.js'
import type { GRACEFUL_DEGRADATION_OPTIONS } from '../../src/middlewares/schema/graceful-degradation.js'
import { ROUTER_OPTIONS } from '../../src/middlewares/schema/router.js'

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type FieldsOf<S> = S extends { readonly fields: infer F } ? keyof F : never

const same = {
  preset: true satisfies Same<FieldsOf<typeof BREAKWATER_OPTIONS>, keyof BreakwaterOptions>,
  router: true satisfies Same<FieldsOf<typeof ROUTER_OPTIONS>, keyof RouterOptions>,
  circuitBreaker: true satisfies Same<FieldsOf<typeof CIRCUIT_BREAKER_OPTIONS>, keyof CircuitBreakerOptions>,
  backoff: true satisfies Same<FieldsOf<typeof BACKOFF_OPTIONS>, keyof BackoffOptions>,
  fallback: true satisfies Same<FieldsOf<typeof FALLBACK_OPTIONS>, keyof FallbackOptions>,
  gracefulDegradation: true satisfies Same<FieldsOf<typeof GRACEFUL_DEGRADATION_OPTIONS>, keyof GracefulDegradationOptions>,
  client: true satisfies Same<FieldsOf<typeof CLIENT_OPTIONS>, keyof BedrockClientPoolOptions>,
  canary: true satisfies Same<FieldsOf<typeof CANARY_OPTIONS>, keyof CanarySettings>,
  retryBudget: true satisfies Same<FieldsOf<typeof RETRY_BUDGET_OPTIONS>, keyof RetryBudgetPolicy>,
  breakerPolicy: true satisfies Same<keyof typeof BREAKER_POLICY_FIELDS, keyof BreakerPolicy>,
  backoffPolicy: true satisfies Same<keyof typeof BACKOFF_POLICY_FIELDS, keyof BackoffPolicy>,
  fallbackPolicy: true satisfies Same<keyof typeof FALLBACK_POLICY_FIELDS, keyof FallbackPolicyOptions>,
}

describe('option schemas and option interfaces', () => {
  it('name the same keys (checked by the compiler; listed here so the suite shows it)', () => {
    expect(Object.values(same).every(Boolean)).toBe(true)
  })

  it('the preset holds every router field at its top level', () => {
    expect(Object.keys(ROUTER_OPTIONS.fields).every((k) => Object.hasOwn(BREAKWATER_OPTIONS.fields, k))).toBe(true)
  })
})
