/**
 * `npm run bench:scale [-- --containers 1000,3000,10000 --shards 16 --batch-ms 2000
 *   --designs today,sharded,batched,both --warm-up 10 --healthy 30 --failing 20 --recovering 20 --rate 1
 *   --call-ms 800 --fail-ms 50 --latency-ms 5 --seed 1 --wru-price 0.625 --rru-price 0.125]`
 *
 * Internet scale, in simulation: 1,000–10,000 Lambda containers sharing one target's breaker, each running the real
 * CircuitBreaker and DynamoDBBreakerStore against an in-process table that counts write and read units per
 * partition key per second and throttles past 1,000 WCU / 3,000 RCU (bench/scale/*). For each fleet size, four
 * wire designs: today's (one window item per target-second, every failure written at once), window counters
 * sharded over `--shards` partition keys, writes batched per container every `--batch-ms`, and both. Phases: warm-up, healthy,
 * failing (every call fails: a write and a Query per failure), recovering (the half-open ramp). Prints per phase the
 * busiest partition's write and read units in its busiest second, throttled requests, DynamoDB requests and the
 * on-demand cost per container-second; per run the trip and close times and how many containers fell back to
 * local state. Asserts nothing.
 */
import { parseArgs } from 'node:util'
import type { WireDesign } from './scale/fake-client.js'
import { runScale, type Phase, type PhaseResult, type ScaleResult } from './scale/fleet-sim.js'

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '1000,3000,10000' },
    shards: { type: 'string', default: '16' },
    'batch-ms': { type: 'string', default: '2000' },
    'warm-up': { type: 'string', default: '10' },
    healthy: { type: 'string', default: '30' },
    failing: { type: 'string', default: '20' },
    recovering: { type: 'string', default: '20' },
    rate: { type: 'string', default: '1' },
    'call-ms': { type: 'string', default: '800' },
    'fail-ms': { type: 'string', default: '50' },
    'latency-ms': { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    designs: { type: 'string', default: 'today,sharded,batched,both' },
    // On-demand, us-east-1, Standard table class, since the 2024-11-01 price cut (before: 1.25 and 0.25).
    'wru-price': { type: 'string', default: '0.625' },
    'rru-price': { type: 'string', default: '0.125' },
  },
})
function positive(text: string, zero = false): number {
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0 || (!zero && n === 0)) throw new Error(`not a positive number: "${text}"`)
  return n
}
const sizes = values.containers.split(',').map((v) => positive(v.trim()))
const shards = positive(values.shards)
const batchMs = positive(values['batch-ms'], true)
const phases: Phase[] = [
  { name: 'warm-up', seconds: positive(values['warm-up']) },
  { name: 'healthy', seconds: positive(values.healthy) },
  { name: 'failing', seconds: positive(values.failing) },
  { name: 'recovering', seconds: positive(values.recovering) },
]
const price = { wru: positive(values['wru-price'], true) / 1e6, rru: positive(values['rru-price'], true) / 1e6 }

const chosen = new Set(values.designs.split(',').map((d) => d.trim()))
const designs: { id: string; name: string; design: WireDesign }[] = [
  { id: 'today', name: 'today (1 window item / s)', design: { shards: 1, batchMs: 0 } },
  { id: 'sharded', name: `sharded ×${shards}`, design: { shards, batchMs: 0 } },
  { id: 'batched', name: `batched ${batchMs} ms`, design: { shards: 1, batchMs } },
  { id: 'both', name: `sharded ×${shards} + batched ${batchMs} ms`, design: { shards, batchMs } },
].filter((d) => chosen.has(d.id))
  // Without shards (or a batch interval) a design is today's again.
  .filter((d) => !((d.id === 'sharded' || d.id === 'both') && shards <= 1) && !((d.id === 'batched' || d.id === 'both') && batchMs === 0))

const HEAD = [
  'containers', 'design', 'phase', 'peak WCU / partition·s', 'peak RCU / partition·s', 'throttled writes', 'throttled reads',
  'DynamoDB requests', 'requests / container·s', 'store errors', 'calls to target', '$ / million container·s',
]
const line = (cells: readonly (string | number)[]): string => `| ${cells.join(' | ')} |`
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

function row(containers: number, design: string, r: PhaseResult): string {
  const containerSeconds = containers * r.seconds
  const dollars = r.table.wru * price.wru + r.table.rru * price.rru
  return line([
    fmt(containers), design, r.phase, fmt(r.peakWcu), fmt(r.peakRcu), fmt(r.table.throttledWrites), fmt(r.table.throttledReads),
    fmt(r.table.requests), fmt(r.table.requests / containerSeconds, 3), fmt(r.storeErrors), fmt(r.admitted),
    fmt((dollars / containerSeconds) * 1e6, 3),
  ])
}

const rows: string[] = []
const outcomes: string[] = []
const started = performance.now()
for (const containers of sizes) {
  for (const d of designs) {
    const t0 = performance.now()
    const result: ScaleResult = await runScale({
      containers, design: d.design, phases, rate: positive(values.rate), callMs: positive(values['call-ms']),
      failMs: positive(values['fail-ms']), latencyMs: positive(values['latency-ms'], true), seed: positive(values.seed, true),
    })
    for (const r of result.phases) if (r.phase !== 'warm-up') rows.push(row(containers, d.name, r))
    const s = (v: number | null): string => (v === null ? '–' : v.toFixed(2))
    outcomes.push(line([fmt(containers), d.name, s(result.tripS), s(result.closeS), fmt(result.containersLocal)]))
    process.stderr.write(`${containers} containers, ${d.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
  }
}
process.stdout.write([
  `Phases: warm-up ${values['warm-up']} s (containers start at random times in it; not shown), healthy ${values.healthy} s, failing ${values.failing} s, recovering ${values.recovering} s; ${values.rate} invocation/s per ` +
  `container; Bedrock call ${values['call-ms']} ms (a failure ${values['fail-ms']} ms); DynamoDB round trip ${values['latency-ms']} ms; ` +
  `limits 1,000 WCU and 3,000 RCU per partition key per second; on-demand $${values['wru-price']} per million writes, ` +
  `$${values['rru-price']} per million reads.`, '',
  line(HEAD), line(HEAD.map((_, i) => (i < 3 ? '---' : '--:'))), ...rows, '',
  line(['containers', 'design', 'trip s (after the failures start)', 'close s (after the target is back)',
    'containers that fell back to local state']),
  line(['---', '---', '--:', '--:', '--:']), ...outcomes, '',
  `(${((performance.now() - started) / 1000).toFixed(0)} s)`, '',
].join('\n'))
