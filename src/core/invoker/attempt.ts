/**
 * One attempt on one target: the time slice it gets, the tokens it may ask for, and what a caller fault means. No
 * policy decisions here; the cascade sends the attempt and decides what its outcome leads to.
 */
import type { Deadline } from '../backoff/deadline.js'
import type { Admission } from '../breaker/types.js'
import { CallerFaultError } from '../errors.js'
import type { Classification } from '../failure.js'
import { plannedMaxTokens } from '../health/speed.js'
import { targetKey, type Target } from '../targets.js'
import type { CascadeRequest } from './types.js'

/** A probe must report back before its permit's lease ends, or its verdict is dropped and another probe admitted. */
const LEASE_MARGIN_MS = 250

export interface TimeSlice {
  readonly timeoutMs: number
  /** The Lambda deadline, not the target's own time limit, set the timeout: a timeout then is not the target's fault. */
  readonly deadlineBound: boolean
}

/**
 * The targets a cascade walks: the route's, or without fallback only its first (and the canary's safety net), less
 * the ones a restarted stream's earlier cascades tried.
 */
export function walkOf(req: Pick<CascadeRequest<unknown, unknown>, 'policies' | 'targets' | 'canaryNet' | 'skip'>): readonly Target[] {
  const walk = req.policies.fallback?.nextTarget
    ? req.targets
    : (req.canaryNet ? [req.targets[0] as Target, req.canaryNet] : req.targets.slice(0, 1))
  const skip = req.skip
  return skip === undefined || skip.size === 0 ? walk : walk.filter((t) => !skip.has(targetKey(t)))
}

/** How long an attempt admitted now may run: the attempt timeout, cut by the probe lease and the deadline. */
export function timeSlice(admission: Admission, attemptTimeoutMs: number, deadline: Deadline, now: number): TimeSlice {
  const leaseLeft = admission.allowed && admission.permit ? admission.permit.expiresAt - now : Infinity
  const byTarget = Math.min(attemptTimeoutMs, leaseLeft - Math.min(LEASE_MARGIN_MS, leaseLeft / 10))
  const byDeadline = deadline.remainingMs(now)
  return { timeoutMs: Math.max(0, Math.min(byTarget, byDeadline)), deadlineBound: byDeadline < byTarget }
}

/**
 * Deadline-planned degrade (with fallback() in force): when the tracker knows the target's speed and the slice
 * would not fit the reply asked for, the attempt asks for the tokens that fit (`cap`). See health/speed.ts.
 * For this attempt only: the cascade keeps the request as asked, so a later attempt with more time (another
 * target's first, after a fast failure) is not held to this slice.
 */
export function planAttempt<I>(
  req: Pick<CascadeRequest<I, never>, 'adapter' | 'latency' | 'policies'> & { readonly validate?: unknown },
  target: Target, key: string, input: I, sliceMs: number, now: number,
): { readonly input: I; readonly cap?: number } {
  const { adapter, latency, policies } = req
  // A reply that must validate (structured output) cut short by a cap is malformed for sure: a wasted paid call.
  if (!policies.fallback || !adapter?.capTokens || !latency || req.validate !== undefined) return { input }
  const cap = plannedMaxTokens(latency.health(key, now)?.speed, sliceMs, adapter.maxTokens?.(input), target.maxTokens)
  return cap === undefined ? { input } : { input: adapter.capTokens(input, cap), cap }
}

/** An attempt without a caller's signal: nothing to listen to, and no array made per attempt to say so. */
export const NO_PARENTS: readonly AbortSignal[] = Object.freeze([])

/**
 * The caller's reply must not carry Bedrock's own text: an AccessDenied names the account, the role and the model
 * ARN. The upstream error stays in `cause`, for the logs.
 */
const CALLER_FAULT: Readonly<Record<string, { readonly status: number; readonly message: string }>> = {
  AccessDeniedException: { status: 403, message: 'This service is not allowed to use the model.' },
  UnrecognizedClientException: { status: 403, message: 'This service is not allowed to use the model.' },
  ResourceNotFoundException: { status: 404, message: 'The model is not available.' },
}
const INVALID = { status: 400, message: 'The model rejected the request as invalid.' }
const UNSUPPORTED_TIER = { status: 400, message: 'The model does not offer the service tier or latency asked for.' }

export function callerFault(c: Classification, error: unknown): CallerFaultError {
  const { status, message } = c.unsupportedTier ? UNSUPPORTED_TIER : (CALLER_FAULT[c.errorName] ?? INVALID)
  return new CallerFaultError(`${message} (${c.errorName})`, { source: 'breakwater/invoker', statusCode: status, cause: error })
}

/**
 * Access, model availability and service tiers are granted per model and region: another target may well serve.
 * Any other caller fault is the request's, and would be refused everywhere.
 */
export const isPerTargetFault = (c: Classification): boolean => c.unsupportedTier === true || Object.hasOwn(CALLER_FAULT, c.errorName)
