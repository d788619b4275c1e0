/**
 * The numbers of a stream scenario: answers delivered whole, truncated answers delivered as a success (a 200 whose
 * text lacks the reply's end: its stream never reached `messageStop`), time to first token, deadline overruns.
 */
import type { StrategyRun } from './types.js'

export interface StreamSummary {
  /** Successes (ok + degraded) whose answer is whole. */
  readonly complete: number
  /** Successes whose answer is truncated: the caller was told it was the answer. */
  readonly truncatedAsSuccess: number
  /** Over the requests that read a first token, ms from the invocation's start; null when none did. */
  readonly ttftP50Ms: number | null
  readonly ttftP99Ms: number | null
  /** Invocations still running at the Lambda timeout. */
  readonly deadlineOverruns: number
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number)

export function streamSummary(run: StrategyRun): StreamSummary {
  const successes = run.requests.filter((r) => r.outcome === 'ok' || r.outcome === 'degraded')
  const truncated = successes.filter((r) => r.truncated === true).length
  const ttft = run.requests.flatMap((r) => (r.ttftMs === undefined ? [] : [r.ttftMs])).sort((a, b) => a - b)
  return {
    complete: successes.length - truncated,
    truncatedAsSuccess: truncated,
    ttftP50Ms: ttft.length === 0 ? null : Math.round(percentile(ttft, 0.5)),
    ttftP99Ms: ttft.length === 0 ? null : Math.round(percentile(ttft, 0.99)),
    deadlineOverruns: run.requests.filter((r) => r.outcome === 'overrun').length,
  }
}
