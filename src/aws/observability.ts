/**
 * Powertools glue: turns engine and breaker events into structured log lines and EMF metrics. Prompt text is
 * never logged (events carry none). Metrics carry no dimensions of ours, so cardinality stays what the user set.
 */
import type { MiddyLikeRequest } from '@aws-lambda-powertools/commons/types'
import type { Logger } from '@aws-lambda-powertools/logger'
import type { Metrics } from '@aws-lambda-powertools/metrics'
import type { BreakerListener } from '../core/breaker/types.js'
import { reportError } from '../core/error-report.js'
import type { CanaryListener } from '../core/routing/canary.js'
import type { CascadeListener } from '../core/invoker/types.js'

/** Where Breakwater reports. Both are optional; pass the same instances your handler flushes with Middy. */
export interface Observability {
  /** A Powertools Logger. Attempts log at debug, failures at warn, breaker transitions at info. */
  readonly logger?: Logger
  /** A Powertools Metrics. Flush it as usual with `logMetrics(metrics)`; Breakwater only adds to it. */
  readonly metrics?: Metrics
  /**
   * Also log (and trace) the messages of upstream errors: Bedrock's text, Node's `SyntaxError`, a validator's
   * reason, which can quote the prompt or the model's reply. Default `false`: names, codes and statuses only.
   */
  readonly logErrorMessages?: boolean
}

/** The metric names Breakwater emits. */
export const METRIC = {
  fallback: 'FallbackModelInvocations',
  retries: 'Retries',
  breakerOpened: 'BreakerOpened',
  breakerClosed: 'BreakerClosed',
  probesGranted: 'ProbesGranted',
  degraded: 'DegradedResponses',
  deadlineSkips: 'DeadlineSkips',
  upstreamLatency: 'UpstreamLatency',
  storeErrors: 'BreakerStoreErrors',
  canaryAborted: 'CanaryAborted',
  timeToFirstToken: 'TimeToFirstToken',
  streamInterruptions: 'StreamInterruptions',
  tierDowngrades: 'ServiceTierDowngrades',
  guardrailInterventions: 'GuardrailInterventions',
  summaries: 'HistorySummaries',
  summaryFailures: 'HistorySummaryFailures',
} as const

const count = (o: Observability, name: string): void => {
  o.metrics?.addMetric(name, 'Count', 1)
}

/** Adds one `DegradedResponses` (Count) to `metrics`, when there is one. */
export function countDegraded(metrics: Pick<Metrics, 'addMetric'> | undefined): void {
  metrics?.addMetric(METRIC.degraded, 'Count', 1)
}

/**
 * Runs the cleanups that Powertools middlewares (`logMetrics`, `injectLambdaContext`, ...) left in `request.internal`.
 * A middleware that answers early skips the hooks after it, their flushes among them; this runs them anyway.
 */
export async function flushPowertoolsMiddlewares(request: MiddyLikeRequest): Promise<void> {
  // Loaded here, on the error path: a function that never answers early does not pay for it at cold start.
  const { cleanupMiddlewares } = await import('@aws-lambda-powertools/commons')
  await cleanupMiddlewares(request)
}

/** Powertools' level thresholds (`logger.level`); a logger without a numeric `level` (duck-typed) is told everything. */
const DEBUG = 8
const INFO = 12

/**
 * Whether `logger` would print a line at `threshold` now. Asked per line (the level can change at runtime:
 * sampling, `setLogLevel`), so that the happy path does not build the objects of lines the level filters out.
 */
function logs(logger: Observability['logger'], threshold: number): boolean {
  if (logger === undefined) return false
  const level: unknown = (logger as { readonly level?: unknown }).level
  return typeof level !== 'number' || level <= threshold
}

/**
 * The engine's events as log lines and metrics; no callbacks at all when there is neither a logger nor metrics.
 * `latencyMetric`: also `UpstreamLatency` per call that reached Bedrock (the only metric of a healthy call, so off by
 * default).
 */
export function cascadeListener(o: Observability & { readonly latencyMetric?: boolean }): CascadeListener {
  if (o.logger === undefined && o.metrics === undefined) return {}
  const latency = o.latencyMetric === true ? o.metrics : undefined
  return {
    attempt(r, route) {
      // An intervention is served, not failed: the target answered, a policy replaced the answer.
      const success = r.outcome === 'success' || r.outcome === 'intervened'
      if (!success || logs(o.logger, DEBUG)) {
        const keys = {
          route, model: r.target.model, region: r.target.region, serviceTier: r.target.serviceTier, latency: r.target.latency,
          attempt: r.attempt, outcome: r.outcome,
          breakerState: r.breakerState, errorName: r.errorName, latencyMs: Math.round(r.latencyMs), waitMs: Math.round(r.waitMs),
        }
        if (success) o.logger?.debug('breakwater attempt', keys)
        else o.logger?.warn('breakwater attempt failed', keys)
      }
      if (latency !== undefined && !r.outcome.startsWith('skipped')) latency.addMetric(METRIC.upstreamLatency, 'Milliseconds', r.latencyMs)
    },
    retry(target, waitMs, failureClass, route) {
      count(o, METRIC.retries)
      if (logs(o.logger, DEBUG)) {
        o.logger?.debug('breakwater retry', { route, model: target.model, region: target.region, waitMs: Math.round(waitMs), failureClass })
      }
    },
    deadlineSkip(target, route) {
      count(o, METRIC.deadlineSkips)
      o.logger?.warn(
        'breakwater deadline skip: not enough time left for another attempt',
        { route, model: target.model, region: target.region },
      )
    },
    firstToken(target, ms, route) {
      o.metrics?.addMetric(METRIC.timeToFirstToken, 'Milliseconds', ms)
      if (logs(o.logger, DEBUG)) {
        o.logger?.debug('breakwater first token', { route, model: target.model, region: target.region, timeToFirstTokenMs: Math.round(ms) })
      }
    },
    streamInterrupted(target, kind, route) {
      count(o, METRIC.streamInterruptions)
      o.logger?.warn('breakwater stream interrupted after its first token', { route, model: target.model, region: target.region, kind })
    },
    intervened(target, intervention, route) {
      count(o, METRIC.guardrailInterventions)
      // Which policy, never what it replaced or said: the prompt and the intervention's text stay out of the logs.
      const keys = { route, model: target.model, region: target.region, intervention }
      o.logger?.info('breakwater intervention: a guardrail or the content filter replaced the answer', keys)
    },
    streamDowngraded(target, tier, route) {
      count(o, METRIC.tierDowngrades)
      const keys = { route, model: target.model, region: target.region, serviceTier: tier.serviceTier, latency: tier.latency }
      o.logger?.info('breakwater stream served below its tier', keys)
    },
    summarized(added, route) {
      count(o, added ? METRIC.summaries : METRIC.summaryFailures)
      // Whether, never what: the summary is the user's conversation, condensed.
      if (!added) o.logger?.warn('breakwater history summary failed: the history was shortened without one', { route })
    },
    served(s) {
      if (s.degradations.includes('fallback-target')) count(o, METRIC.fallback)
      if (s.degradations.includes('downgraded-tier')) count(o, METRIC.tierDowngrades)
      if (logs(o.logger, INFO)) {
        const keys = {
          route: s.route, model: s.model, region: s.region, attempts: s.attempts, degraded: s.degraded,
          serviceTier: s.serviceTier, latency: s.latency,
        }
        o.logger?.info('breakwater served', keys)
      }
    },
  }
}

export function breakerListener(o: Observability): BreakerListener {
  return (e) => {
    switch (e.type) {
      case 'transition':
        if (e.to === 'open') count(o, METRIC.breakerOpened)
        if (e.to === 'closed') count(o, METRIC.breakerClosed)
        o.logger?.info('breakwater breaker transition', {
          target: e.key, from: e.from, to: e.to, breakerState: e.to, opens: e.record.opens, openUntil: e.record.openUntil,
        })
        break
      case 'probe-granted':
        count(o, METRIC.probesGranted)
        o.logger?.debug('breakwater probe granted', { target: e.key, stage: e.stage, breakerState: 'half-open' })
        break
      case 'store-error':
        count(o, METRIC.storeErrors)
        o.logger?.warn('breakwater breaker store failed; using local state', {
          target: e.key, operation: e.operation, error: reportError(e.error, { messages: o.logErrorMessages === true }),
        })
        break
    }
  }
}

/** A canary's green side lost its traffic (warn + `CanaryAborted`) or got it back (info). */
export function canaryListener(o: Observability): CanaryListener {
  return (e) => {
    if (e.type === 'aborted') {
      count(o, METRIC.canaryAborted)
      o.logger?.warn('breakwater canary aborted: green gets no traffic', {
        route: e.route, reason: e.reason, greenFailureRate: e.greenFailureRate, blueFailureRate: e.blueFailureRate,
      })
    } else {
      o.logger?.info('breakwater canary resumed: green gets its weight again', { route: e.route })
    }
  }
}
