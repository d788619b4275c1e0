/**
 * The preset's options, as data: the router's fields at the top level (reported by the router), one group per
 * other middleware (its own schema, or `false` to leave it out), and the rules that span groups.
 */
import { DEFAULT_BACKOFF_POLICY } from '../../core/backoff/types.js'
import { leaseProblem } from '../../core/breaker/policy.js'
import { literal, object, oneOf, withSource, type ObjectSchema, type Refine } from '../../core/config/index.js'
import { BACKOFF_OPTIONS } from './backoff.js'
import { BREAKER_SOURCE, CIRCUIT_BREAKER_OPTIONS } from './circuit-breaker.js'
import { FALLBACK_OPTIONS } from './fallback.js'
import { DEGRADATION_SOURCE, GRACEFUL_DEGRADATION_OPTIONS } from './graceful-degradation.js'
import { ROUTER_FIELDS, ROUTER_REFINES, ROUTER_SOURCE } from './router.js'

const group = (options: ObjectSchema) =>
  oneOf([literal(false), options], { must: 'must be false (to leave the middleware out) or its options object' })

interface PresetValues {
  readonly breaker?: false | { readonly permitLeaseMs?: number }
  readonly backoff?: false | { readonly attemptTimeoutMs?: number }
  readonly degradation?: false | object
  readonly logger?: object
}

/**
 * A probe's permit must outlive its attempt, or every probe is cut short at its lease and the breaker never closes.
 * A lease left at its default grows to the attempt timeout (breakwater.ts); one set shorter is an error.
 */
const leaseCoversAttempt: Refine<PresetValues> = (o) => {
  if (o.breaker === false || o.backoff === false || o.breaker?.permitLeaseMs === undefined) return undefined
  const problem = leaseProblem(o.breaker.permitLeaseMs, o.backoff?.attemptTimeoutMs ?? DEFAULT_BACKOFF_POLICY.attemptTimeoutMs)
  return problem === undefined ? undefined : { at: 'breaker.permitLeaseMs', problem, source: BREAKER_SOURCE }
}

const hasError = (logger: object): boolean => {
  try {
    return typeof (logger as { error?: unknown }).error === 'function'
  } catch {
    return false
  }
}

/** The one logger is also gracefulDegradation's, which logs failures at error level. */
const loggerCanLogErrors: Refine<PresetValues> = (o) => {
  if (o.logger === undefined || o.degradation === false || hasError(o.logger)) return undefined
  return {
    at: 'logger',
    problem: 'must also have error(): gracefulDegradation logs failures with it (or set degradation: false)',
    source: DEGRADATION_SOURCE,
  }
}

export const BREAKWATER_OPTIONS = object({
  ...withSource(ROUTER_SOURCE, ROUTER_FIELDS),
  breaker: group(CIRCUIT_BREAKER_OPTIONS),
  backoff: group(BACKOFF_OPTIONS),
  fallback: group(FALLBACK_OPTIONS),
  degradation: group(GRACEFUL_DEGRADATION_OPTIONS),
}, { source: 'breakwater', refine: [...ROUTER_REFINES, leaseCoversAttempt, loggerCanLogErrors] })
