/** A capacity scenario's second table, the same in the HTML report and the Markdown tables. */
import type { Summary } from './summary.js'
import type { StrategyName } from './types.js'

export const CAPACITY_HEAD = [
  'strategy', 'offered', 'goodput ceiling', 'goodput', 'goodput / ceiling', 'calls/req', 'retries/req', '429 answers',
  'Lambda-throttled', 'Lambda busy s', 'p50 ms', 'p99 ms', 'raw errors', 'overruns',
] as const

/** Cells of one strategy's capacity numbers; undefined outside a capacity scenario. */
export function capacityCells(name: StrategyName, m: Summary): string[] | undefined {
  const c = m.capacity
  if (!c) return undefined
  return [
    name, String(c.offered), String(c.ceiling), String(c.goodput), `${(c.share * 100).toFixed(1)} %`, m.amplification.toFixed(2),
    m.retriesPerRequest.toFixed(2), String(c.throttled429), String(m.outcomes.throttled), m.busySeconds.toFixed(1),
    String(m.p50Ms), String(m.p99Ms), String(m.outcomes['raw-error']), String(m.overruns),
  ]
}
