/**
 * `npm run bench:breaker-cost [-- --instances 1,10,50 --rates 1,10 --warmup 30 --steady 120 --outage 60
 *   --recovery 90 --tick-ms 10 --skew-ms 0 --refresh-ms 10000 --flush-ms 10000 --latency-ms 0 --seed 1 --verbose]`
 *
 * What the shared breaker costs in DynamoDB requests. Starts DynamoDB Local on 127.0.0.1 (dynalite where Java is
 * missing: the first line says which; tools/dynamodb-local/table-server.ts) and simulates fleets of 1, 10 and 50
 * Lambda instances, each with its own breaker, store and DynamoDB client (see support/breaker-fleet.ts), on a
 * simulated clock: warm-up, steady state (every call succeeds), an outage (the target fails every call), recovery (it
 * answers again; the breaker goes half-open, ramps its probes and closes).
 * Prints DynamoDB reads (GetItem + Query) and writes (PutItem + UpdateItem) per invocation and per instance-second,
 * the share of invocations that made any DynamoDB call, transitions and conditional-write conflicts. Asserts nothing.
 */
import { parseArgs } from 'node:util'
import { runFleet, type FleetResult, type Phase, type PhaseStats } from './support/breaker-fleet.js'
import { startLocalDynamo } from './support/local-dynamo.js'

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '1,10,50' },
    rates: { type: 'string', default: '1,10' },
    warmup: { type: 'string', default: '30' },
    steady: { type: 'string', default: '120' },
    outage: { type: 'string', default: '60' },
    recovery: { type: 'string', default: '90' },
    'tick-ms': { type: 'string', default: '10' },
    'skew-ms': { type: 'string', default: '0' },
    'refresh-ms': { type: 'string' },
    'flush-ms': { type: 'string' },
    'latency-ms': { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    verbose: { type: 'boolean', default: false },
  },
})
const list = (text: string): number[] => text.split(',').map((v) => positive(v.trim()))
function positive(text: string): number {
  const n = Number(text)
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`not a positive number: "${text}"`)
  return n
}
const orUndefined = (text: string | undefined): number | undefined => (text === undefined ? undefined : positive(text))

const phases: Phase[] = [
  { name: 'warm-up', seconds: positive(values.warmup), targetFails: false },
  { name: 'steady', seconds: positive(values.steady), targetFails: false },
  { name: 'outage', seconds: positive(values.outage), targetFails: true },
  { name: 'recovery', seconds: positive(values.recovery), targetFails: false },
]
const refreshMs = orUndefined(values['refresh-ms'])
const flushMs = orUndefined(values['flush-ms'])
const tickMs = positive(values['tick-ms'])
/** `--latency-ms 10-80`: each call answers after a uniform draw in that range (`0`: at once). */
const latencyMs = ((): [number, number] => {
  const [min = 0, max = min] = values['latency-ms'].split('-').map((v) => Number(v.trim()))
  if (!(min >= 0 && max >= min)) throw new Error(`not a latency range: "${values['latency-ms']}"`)
  return [min, max]
})()
const skewMs = values['skew-ms'] === '0' ? 0 : positive(values['skew-ms'])

const dynamo = await startLocalDynamo()
const started = performance.now()
const rows: string[][] = []
const timelines: string[][] = []
try {
  let run = 0
  for (const rate of list(values.rates)) {
    for (const instances of list(values.instances)) {
      const tableName = `breakwater-bench-${++run}`
      await dynamo.createBreakerTable(tableName)
      const result = await runFleet({
        instances, rate, phases, tickMs, skewMs, tableName, clientConfig: dynamo.clientConfig, refreshMs, flushMs, latencyMs,
        seed: positive(values.seed) + run,
        log: values.verbose ? (line) => console.log(`[N=${instances} ${rate}/s] ${line}`) : undefined,
      })
      for (const stats of result.phases) if (stats.phase !== 'warm-up') rows.push(row(instances, rate, stats))
      timelines.push(timeline(instances, rate, result))
    }
  }
} finally {
  await dynamo.close()
}

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-'
}
function row(instances: number, rate: number, s: PhaseStats): string[] {
  const reads = s.gets + s.queries
  const writes = s.puts + s.updates
  const instanceSeconds = instances * s.seconds
  return [
    String(instances), String(rate), s.phase, String(s.invocations), `${s.admitted}/${s.rejected}`,
    `${s.gets}+${s.queries}`, `${s.puts}+${s.updates}`,
    fmt(reads / s.invocations, 4), fmt(writes / s.invocations, 4),
    fmt(reads / instanceSeconds, 3), fmt(writes / instanceSeconds, 3),
    `${fmt((100 * s.withCall) / s.invocations, 2)} %`, `${fmt((100 * (s.invocations - s.withCall)) / s.invocations, 2)} %`,
    String(s.transitions), String(s.conflicts), String(s.storeErrors),
  ]
}

/** The breaker's path through the outage, in simulated seconds after the target started failing. */
function timeline(instances: number, rate: number, result: FleetResult): string[] {
  const outageStart = (phases[0] as Phase).seconds + (phases[1] as Phase).seconds
  const outage = result.phases.find((p) => p.phase === 'outage')
  const path = result.timeline
    .filter((e) => e.atMs >= outageStart * 1000)
    .map((e) => `${e.to} +${fmt(e.atMs / 1000 - outageStart, 2)}s`)
    .join(', ')
  return [String(instances), String(rate), String(outage?.admitted ?? 0), path || '(no transition)', String(result.rejectedAfterClose)]
}

/** A Markdown table, numbers right-aligned, the columns in `left` left-aligned. */
function table(header: string[], body: string[][], left: readonly number[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n')
}

const p = (name: string): number => phases.find((ph) => ph.name === name)?.seconds ?? 0
console.log(`Breaker cost on ${dynamo.label}.`)
console.log(`refreshMs ${refreshMs ?? '10000 (default)'}, flushMs ${flushMs ?? '10000 (default)'}, `
  + `default policy with clockSkewMs 2000, instance clocks ±${skewMs} ms, ${tickMs} ms ticks (invocations in one tick race), `
  + `calls answering after ${latencyMs[0]}–${latencyMs[1]} ms.`)
console.log(`Phases (simulated s): warm-up ${p('warm-up')} (not shown), steady ${p('steady')}, outage ${p('outage')} `
  + `(target fails every call), recovery ${p('recovery')}.`)
const expected = 1000 / (refreshMs ?? 10_000) + 1000 / (flushMs ?? 10_000)
console.log('reads = GetItem + Query, writes = PutItem + UpdateItem; "inst-s" = instance-second; '
  + `steady state should cost about 1/refreshMs + 1/flushMs = ${fmt(expected, 3)} requests per instance-second.`)
console.log('Store errors: run with --verbose to see them, with every transition, as they happen.\n')
console.log(table(
  ['N', 'inv/s', 'phase', 'invocations', 'admitted/rejected', 'Get+Query', 'Put+Update', 'reads/inv', 'writes/inv',
    'reads/inst-s', 'writes/inst-s', 'inv with DDB call', 'inv without', 'transitions', 'conflicts', 'store errors'],
  rows, [2],
))
console.log(`\nOutage path (s after the target started failing; it answers again at +${p('outage')}s):\n`)
console.log(table(['N', 'inv/s', 'calls to dead target', 'transitions', 'rejected after close (stale cache)'], timelines, [3]))
console.log(`\n${fmt((performance.now() - started) / 1000, 1)} s wall time`)
