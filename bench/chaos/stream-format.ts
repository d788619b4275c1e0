/** A stream scenario's second table, the same in the HTML report and the Markdown tables. */
import type { Summary } from './summary.js'
import type { StrategyName } from './types.js'

export const STREAM_HEAD = [
  'strategy', 'complete answers', 'truncated answers as success', 'TTFT p50 ms', 'TTFT p99 ms', 'deadline overruns',
  'graceful', 'raw errors', 'requests',
] as const

const ms = (n: number | null): string => (n === null ? '–' : String(n))

/** Cells of one strategy's stream numbers; undefined outside a stream scenario. */
export function streamCells(name: StrategyName, m: Summary): string[] | undefined {
  const s = m.stream
  if (!s) return undefined
  return [
    name, String(s.complete), String(s.truncatedAsSuccess), ms(s.ttftP50Ms), ms(s.ttftP99Ms), String(s.deadlineOverruns),
    String(m.outcomes.graceful), String(m.outcomes['raw-error']), String(m.requests),
  ]
}
