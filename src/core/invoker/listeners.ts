/** Several CascadeListeners heard as one (logs and metrics, plus tracing). */
import type { AttemptEnd, CascadeListener } from './types.js'

/**
 * One listener that tells each of `listeners` (undefined ones skipped), in order. `attemptStart` returns the
 * tokens of all of them, and `attemptEnd` hands each its own back, last one first.
 *
 * @example
 * const listener = mergeListeners(cascadeListener({ logger, metrics }), tracer && tracingListener(tracer))
 */
export function mergeListeners(...listeners: ReadonlyArray<CascadeListener | undefined>): CascadeListener {
  // A listener without callbacks (no logger, no metrics) is not called at all.
  const all = listeners.filter((l): l is CascadeListener => l !== undefined && Object.keys(l).length > 0)
  if (all.length <= 1) return all[0] ?? {}
  const tracked = all.filter((l) => l.attemptStart !== undefined || l.attemptEnd !== undefined)
  const merged: CascadeListener = {
    attempt: (record, route) => { for (const l of all) l.attempt?.(record, route) },
    retry: (target, waitMs, failureClass, route) => { for (const l of all) l.retry?.(target, waitMs, failureClass, route) },
    deadlineSkip: (target, route) => { for (const l of all) l.deadlineSkip?.(target, route) },
    served: (served) => { for (const l of all) l.served?.(served) },
    intervened: (target, intervention, route) => { for (const l of all) l.intervened?.(target, intervention, route) },
    streamDowngraded: (target, tier, route) => { for (const l of all) l.streamDowngraded?.(target, tier, route) },
    firstToken: (target, ms, route) => { for (const l of all) l.firstToken?.(target, ms, route) },
    streamInterrupted: (target, kind, route) => { for (const l of all) l.streamInterrupted?.(target, kind, route) },
    summarized: (added, route) => { for (const l of all) l.summarized?.(added, route) },
  }
  if (tracked.length > 0) {
    merged.attemptStart = (target, attempt, route): unknown => tracked.map((l) => l.attemptStart?.(target, attempt, route))
    merged.attemptEnd = (token: unknown, end: AttemptEnd): void => {
      // In reverse, like closing nested spans: the last one started is the first one ended.
      const tokens = token as readonly unknown[]
      for (let i = tracked.length - 1; i >= 0; i--) tracked[i]!.attemptEnd?.(tokens[i], end)
    }
  }
  return merged
}

/**
 * The listener with every callback made safe: a log or metric hook that throws (Powertools' addMetric does when a
 * metric name is reused with another unit) must not fail the user's request, skip a breaker verdict or leave a
 * trace subsegment open. Built once per container by the router, so the hot path pays one try per callback.
 */
export function guardListener(listener: CascadeListener): CascadeListener {
  // Four fixed parameters (the most any callback takes), not rest ones: no arguments array made per call.
  type Callback = (a: unknown, b: unknown, c: unknown, d: unknown) => unknown
  const safe = (fn: Callback | undefined) =>
    fn && ((a: unknown, b: unknown, c: unknown, d: unknown): unknown => {
      try {
        return fn.call(listener, a, b, c, d)
      } catch {
        return undefined
      }
    })
  const guarded: CascadeListener = {}
  const names = [
    'attempt', 'retry', 'deadlineSkip', 'served', 'intervened', 'streamDowngraded', 'attemptStart', 'attemptEnd', 'firstToken',
    'streamInterrupted', 'summarized',
  ] as const
  for (const name of names) {
    const wrapped = safe(listener[name] as Callback | undefined)
    if (wrapped) (guarded as Record<string, unknown>)[name] = wrapped
  }
  return guarded
}
