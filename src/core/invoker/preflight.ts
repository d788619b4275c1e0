/**
 * What a call must pass before its target's breaker is asked: the adaptive throttle (a target that throttles more
 * than it accepts sheds a share of calls) and the target's known quota (a call the minute's quota has no room for is
 * not sent). Either skip is recorded and walks on to the next target; nothing is sent and the breaker hears nothing.
 */
import { quotaCost, quotaSpent } from '../admission/quota-cost.js'
import type { QuotaBook, Spent, Ticket } from '../admission/quota-book.js'
import { awaitUsage } from '../admission/late-usage.js'

export type { Spent, Ticket }
import { MINUTE_MS } from '../admission/quota.js'
import type { FailureClass } from '../failure.js'
import { modelRegionKey, type Target } from '../targets.js'
import type { Ledger } from './ledger.js'
import type { CascadeRequest } from './types.js'

/** When a shed target may take a call again: its shedding share is recomputed every second. */
const SHED_RETRY_MS = 1_000

type Gates = Pick<CascadeRequest<unknown, unknown>, 'policies' | 'random'>

/** Go (with the quota ticket to settle when the attempt ends, if the target has a quota), or skip it for `retryMs`. */
export type Preflight = Ticket | undefined | { readonly retryMs: number }

export function preflight(
  req: Gates, ledger: Ledger, input: unknown, target: Target, key: string, attempt: number, waitMs: number, now: number,
): Preflight | Promise<Preflight> {
  const { admission, quota } = req.policies
  // The target throttles more than it accepts: this call goes elsewhere before it adds to the 429s.
  if (admission?.admit(key, now, req.random) === false) {
    ledger.record(target, attempt, 'skipped-shed', 0, waitMs)
    return { retryMs: SHED_RETRY_MS }
  }
  if (quota === undefined) return undefined
  // A quota is the model's in the region: the tiers of one model and region draw from the same one.
  const quotaAt = target.serviceTier === undefined && target.latency === undefined ? key : modelRegionKey(target)
  if (!quota.limits(quotaAt)) return undefined
  const ticket = quota.reserve(quotaAt, quotaCost(input, target), now)
  return ticket instanceof Promise ? ticket.then((t) => refusedOrGo(req, ledger, target, key, attempt, waitMs, now, t)) : (
    refusedOrGo(req, ledger, target, key, attempt, waitMs, now, ticket)
  )
}

function refusedOrGo(
  req: Gates, ledger: Ledger, target: Target, key: string, attempt: number, waitMs: number, now: number,
  ticket: Ticket | 'refused',
): Preflight {
  if (ticket !== 'refused') return ticket
  // Not a throttle by the target: the throttle's count of requests to it takes the call back out.
  req.policies.admission?.refused(key, now)
  ledger.record(target, attempt, 'skipped-quota', 0, waitMs)
  // The minute's quota is spent: the next minute brings a new one (a container's idle block may come back sooner).
  return { retryMs: MINUTE_MS - (now % MINUTE_MS) }
}

/** Failures that generated nothing: the call's tokens go back (its request stays spent: Bedrock may count it). */
const NOTHING_GENERATED: ReadonlySet<FailureClass> = new Set(['unavailable', 'caller-fault', 'context-overflow'])

/**
 * What an attempt used of its quota ticket: the reply's usage; all of it back for a 429 (Bedrock admitted nothing);
 * the tokens back for a failure that generated nothing; all of it kept when that is not known (a timeout).
 */
export function spentBy(output: unknown, failureClass: FailureClass | undefined): Spent {
  if (failureClass === undefined) return quotaSpent(output)
  if (failureClass === 'throttled') return 'unsent'
  return NOTHING_GENERATED.has(failureClass) ? 0 : undefined
}

/**
 * A reply that did not say what it used (a stream's usage comes at its end): its ticket is settled as kept in full,
 * and the tokens it did not use are refunded when it says (admission/late-usage.ts).
 */
export function refundLater(quota: QuotaBook | undefined, ticket: Ticket | undefined, output: unknown): void {
  if (quota === undefined || ticket === undefined || typeof output !== 'object' || output === null) return
  awaitUsage(output, (used) => quota.refund(ticket, used))
}
