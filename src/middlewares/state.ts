/**
 * Per-request state the five middlewares share, kept under one namespaced `request.internal` key (as Powertools
 * does), and the composition check: the middlewares must run in one documented order.
 */
import type { CircuitBreaker } from '../core/breaker/circuit-breaker.js'
import type { BackoffPolicy } from '../core/backoff/types.js'
import type { RetryBudget } from '../core/backoff/retry-budget.js'
import { CompositionError } from '../core/errors.js'
import type { FailureClass } from '../core/failure.js'
import type { FallbackPolicy } from '../core/fallback/policy.js'
import type { RequestRouting } from '../core/routing/chooser.js'
import type { ConverseCache } from './reply-cache.js'

export const STATE_KEY = 'breakwater'

/** The order the policy middlewares must be `.use()`d in. gracefulDegradation (onError only) goes last. */
export const ROLE_ORDER = ['router', 'circuitBreaker', 'backoff', 'fallback'] as const
export type Role = (typeof ROLE_ORDER)[number]

export interface BreakwaterState {
  /** The roles whose `before` ran in this request, in order. */
  readonly roles: Role[]
  breaker?: { readonly breaker: CircuitBreaker; readonly failureClasses: ReadonlySet<FailureClass>; readonly slowCallMs?: number }
  backoff?: { readonly policy: BackoffPolicy; readonly budget: RetryBudget }
  fallback?: FallbackPolicy
  /** Set by router(): chooses the route of each call (rules, then the blue/green split) once its input is known. */
  routing?: RequestRouting
  /** The container's cache of good replies, when `fallback({ cache })` enabled it. */
  replyCache?: ConverseCache
}

interface RequestLike { internal: Record<string, unknown> }

const callName = (role: Role): string => `${role}()`
/** The `source` of errors raised for a role, matching the middlewares' own (`breakwater/circuit-breaker`). */
const sourceOf = (role: Role): string => `breakwater/${role.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`

/**
 * Called first thing in each middleware's `before`. The router opens the state; every other role needs it and
 * must come after the roles listed before it in ROLE_ORDER. A wrong order is a programming error, so it throws
 * on the first invocation instead of silently running without a policy.
 */
export function enterRole(request: RequestLike, role: Role): BreakwaterState {
  const existing = request.internal[STATE_KEY] as BreakwaterState | undefined
  if (role === 'router') {
    if (existing) throw new CompositionError('breakwater/router', `router() must be the first Breakwater middleware and used once; it ran after ${existing.roles.map(callName).join(', ')}`)
    const state: BreakwaterState = { roles: ['router'] }
    request.internal[STATE_KEY] = state
    return state
  }
  const source = sourceOf(role)
  if (!existing) throw new CompositionError(source, `${callName(role)} needs router() before it in .use(): the router chooses the targets it protects. Order: ${ROLE_ORDER.map(callName).join(' → ')} → gracefulDegradation()`)
  const mine = ROLE_ORDER.indexOf(role)
  const lastRole = existing.roles[existing.roles.length - 1] as Role
  if (existing.roles.includes(role)) throw new CompositionError(source, `${callName(role)} is used twice`)
  if (ROLE_ORDER.indexOf(lastRole) > mine) throw new CompositionError(source, `${callName(role)} must come before ${callName(lastRole)} in .use(). Order: ${ROLE_ORDER.map(callName).join(' → ')} → gracefulDegradation()`)
  existing.roles.push(role)
  return existing
}
