/** One strategy's summary as table cells, the same in the HTML report and the Markdown tables. */
import type { Summary } from './summary.js'
import { DYNAMODB_STRATEGIES, type StrategyName } from './types.js'

export const SUMMARY_HEAD = [
  'strategy', 'success', 'degraded', 'raw errors', 'overruns', 'Lambda-throttled', 'p50 ms', 'p99 ms', 'calls/req', 'retries/req',
  'failing calls/req after trip', 'trip s', 'recover s', 'probes per half-open stage (episodes)',
  'DynamoDB r/w (requests per req, per inst·s)',
] as const

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`

function dynamoCell(d: Summary['dynamo']): string {
  const errors = d.storeErrors > 0 ? `, ${d.storeErrors} store errors` : ''
  return `${d.reads}/${d.writes} (${d.perRequest.toFixed(3)}, ${d.perInstanceSecond.toFixed(3)}${errors})`
}

export function summaryCells(name: StrategyName, m: Summary): string[] {
  return [
    name, pct(m.successRate), pct(m.degradedRate), String(m.outcomes['raw-error']), String(m.overruns), String(m.outcomes.throttled),
    String(m.p50Ms), String(m.p99Ms), m.amplification.toFixed(2), m.retriesPerRequest.toFixed(2),
    m.failingCallsPerRequest === null ? '–' : m.failingCallsPerRequest.toFixed(2),
    m.timeToTripS === null ? '–' : m.timeToTripS.toFixed(2), m.timeToRecoverS === null ? '–' : m.timeToRecoverS.toFixed(2),
    m.probes && m.probes.halfOpens > 0 ? `${m.probes.perStage.join(' / ')} (${m.probes.halfOpens})` : '–',
    DYNAMODB_STRATEGIES.has(name) ? dynamoCell(m.dynamo) : '–',
  ]
}
