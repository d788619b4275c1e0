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
  const all = listeners.filter((l): l is CascadeListener => l !== undefined)
  if (all.length === 1) return all[0] as CascadeListener
  const tracked = all.filter((l) => l.attemptStart !== undefined || l.attemptEnd !== undefined)
  const merged: CascadeListener = {
    attempt: (record, route) => { for (const l of all) l.attempt?.(record, route) },
    retry: (target, waitMs, failureClass, route) => { for (const l of all) l.retry?.(target, waitMs, failureClass, route) },
    deadlineSkip: (target, route) => { for (const l of all) l.deadlineSkip?.(target, route) },
    served: (served) => { for (const l of all) l.served?.(served) },
    firstToken: (target, ms, route) => { for (const l of all) l.firstToken?.(target, ms, route) },
    streamInterrupted: (target, kind, route) => { for (const l of all) l.streamInterrupted?.(target, kind, route) },
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
  const safe = <A extends unknown[], R>(fn: ((...args: A) => R) | undefined) =>
    fn && ((...args: A): R | undefined => {
      try {
        return fn.apply(listener, args)
      } catch {
        return undefined
      }
    })
  const guarded: CascadeListener = {}
  const names = ['attempt', 'retry', 'deadlineSkip', 'served', 'attemptStart', 'attemptEnd', 'firstToken', 'streamInterrupted'] as const
  for (const name of names) {
    const wrapped = safe(listener[name] as ((...args: unknown[]) => unknown) | undefined)
    if (wrapped) (guarded as Record<string, unknown>)[name] = wrapped
  }
  return guarded
}
