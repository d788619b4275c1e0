/** How a cascade ends: who served (and how degraded), or the error that says why nobody could. */
import type { AttemptRecord } from '../attempts.js'
import { AllTargetsFailedError, type CallerFaultError } from '../errors.js'
import type { Classification } from '../failure.js'
import type { Target } from '../targets.js'
import { callerFault } from './attempt.js'
import type { TierServed } from './tiers.js'
import type { Degradation, Intervention, Served } from './types.js'

/**
 * The most telling degradation first: an old answer matters more than a different model, which matters more to a
 * caller than a shorter answer; a summary softens a truncation (it never comes alone); a lower service tier changed how
 * soon the answer came, not the answer.
 */
const WEIGHT: Readonly<Record<Degradation, number>> = {
  cached: 6, 'fallback-target': 5, 'truncated-context': 4, 'summarized-context': 3, 'reduced-max-tokens': 2, 'downgraded-tier': 1,
}

const callsIn = (attempts: readonly AttemptRecord[]): AttemptRecord[] => attempts.filter((a) => !a.outcome.startsWith('skipped'))
/** `callsIn(attempts).length`, without the array (once per served call). */
function callCount(attempts: readonly AttemptRecord[]): number {
  let n = 0
  for (const a of attempts) if (!a.outcome.startsWith('skipped')) n++
  return n
}

export function servedBy(
  route: string, target: Target, attempts: readonly AttemptRecord[], degradations: readonly Degradation[], tier?: TierServed,
  intervened?: Intervention,
): Served {
  let worst: Degradation | undefined
  for (const d of degradations) if (worst === undefined || WEIGHT[d] > WEIGHT[worst]) worst = d
  const served: { -readonly [K in keyof Served]: Served[K] } = {
    route,
    model: target.model,
    region: target.region,
    attempts: callCount(attempts),
    degraded: worst ?? false,
    degradations,
  }
  if (tier?.serviceTier !== undefined) served.serviceTier = tier.serviceTier
  if (tier?.latency !== undefined) served.latency = tier.latency
  if (intervened !== undefined) served.intervened = intervened
  return served
}

/**
 * When each target of the walk could serve again, ms from now: an open breaker's reopening, a server's Retry-After,
 * or `undefined` when nothing is known (it failed without a hint, was skipped for time or budget, was never reached).
 */
export type SoonestByTarget = readonly (number | undefined)[]

/**
 * The recovery times of a walk that say something about when to retry: not a target refused for good (`null`), nor
 * one of a model the prompt overflows (it cannot serve the prompt later either). Unset ones are not known.
 */
export function knownSoonest(
  walk: readonly Target[], soonest: readonly (number | undefined | null)[], overflowed: ReadonlySet<string> | undefined,
): SoonestByTarget {
  const known: (number | undefined)[] = []
  for (let ti = 0; ti < walk.length; ti++) {
    const s = soonest[ti]
    if (s !== null && !overflowed?.has((walk[ti] as Target).model)) known.push(s)
  }
  return known
}

/**
 * The error for a cascade that served nobody. When every call made was refused as the caller's fault (403/404 in
 * every region), that is the answer; otherwise a 503-shaped AllTargetsFailedError whose Retry-After is the soonest
 * time anything could serve: exact when every target's is known, else an upper bound the responder caps.
 */
export function exhausted(
  route: string,
  attempts: readonly AttemptRecord[],
  last: { classification: Classification; error: unknown } | undefined,
  soonest: SoonestByTarget,
): AllTargetsFailedError | CallerFaultError {
  const calls = callsIn(attempts)
  if (last && calls.length > 0 && calls.every((a) => a.outcome === 'caller-fault')) return callerFault(last.classification, last.error)
  const known = soonest.filter((h): h is number => h !== undefined)
  const seconds = known.length === 0 ? undefined : Math.max(1, Math.ceil(Math.min(...known) / 1000))
  const allKnown = known.length > 0 && known.length === soonest.length
  return new AllTargetsFailedError(
    `route "${route}": no target could serve the request (${calls.length} calls, last: ${last?.classification.errorName ?? 'none made'})`,
    {
      attempts, lastClass: last?.classification.failureClass, cause: last?.error,
      retryAfterSeconds: allKnown ? seconds : undefined, retryAfterAtMostSeconds: allKnown ? undefined : seconds,
    },
  )
}
