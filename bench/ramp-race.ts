/**
 * `npm run bench:ramp-race [-- --containers 20 --runs 7 --rate 10 --tick-ms 10 --call-ms 200-800 --seed 1 --verbose]`
 *
 * What a fleet racing one half-open ramp (1 → 5 → 10 probes, the fleet defaults) costs in writes to the state item.
 * Starts DynamoDB Local on 127.0.0.1 (dynalite where Java is missing: the first line says which) and runs the race
 * of support/ramp-race.ts several times, a table and a seed each. Prints per run and as median / max: state writes
 * that landed, conditional writes that failed (each a billed write), how they were sent (PutItem / UpdateItem), the
 * GetItems, the ramp's duration in simulated ms, and the fullest a stage ever was (permits out + passed over its
 * size: 1.00 = full, more would break the fleet-wide limit). Asserts nothing.
 */
import { parseArgs } from 'node:util'
import { startLocalDynamo } from './support/local-dynamo.js'
import { raceRamp, type RaceResult } from './support/ramp-race.js'

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '20' },
    runs: { type: 'string', default: '7' },
    rate: { type: 'string', default: '10' },
    'tick-ms': { type: 'string', default: '10' },
    'call-ms': { type: 'string', default: '200-800' },
    seed: { type: 'string', default: '1' },
    verbose: { type: 'boolean', default: false },
  },
})
function positive(text: string): number {
  const n = Number(text)
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`not a positive number: "${text}"`)
  return n
}
const [callMin, callMax] = values['call-ms'].split('-').map((v) => positive(v.trim())) as [number, number?]
const callMs: [number, number] = [callMin, callMax ?? callMin]
const runs = positive(values.runs)

const dynamo = await startLocalDynamo()
const started = performance.now()
const results: RaceResult[] = []
try {
  for (let run = 1; run <= runs; run++) {
    const tableName = `breakwater-ramp-race-${run}`
    await dynamo.createBreakerTable(tableName)
    const result = await raceRamp({
      containers: positive(values.containers), rate: positive(values.rate), tickMs: positive(values['tick-ms']), callMs,
      seed: positive(values.seed) * 1000 + run, tableName, clientConfig: dynamo.clientConfig,
    })
    if (values.verbose) console.log(`run ${run}: ${result.transitions.join(', ')}`)
    results.push(result)
  }
} finally {
  await dynamo.close()
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}
const ramp = (r: RaceResult): string => (r.rampMs === undefined ? 'not closed' : String(r.rampMs))
const cells = (r: RaceResult): string[] => [
  String(r.landed), `${r.failed} (${r.failedPuts}+${r.failed - r.failedPuts})`,
  `${r.puts}+${r.updates}`, String(r.gets), String(r.windowUpdates), String(r.probes),
  ramp(r), r.fullestStage.toFixed(2), String(r.storeErrors),
]
const header = [
  'run', 'landed', 'failed (Put+Update)', 'Put+Update', 'GetItem', 'window ADDs', 'probes', 'ramp ms', 'fullest stage', 'store errors',
]
const body = results.map((r, i) => [String(i + 1), ...cells(r)])
const pick = (f: (r: RaceResult) => number): number[] => results.map(f)
const closed = results.filter((r) => r.rampMs !== undefined).map((r) => r.rampMs as number)
for (const [label, agg] of [['median', median], ['max', (xs: number[]) => Math.max(...xs)]] as const) {
  body.push([label, String(agg(pick((r) => r.landed))),
    `${agg(pick((r) => r.failed))} (${agg(pick((r) => r.failedPuts))}+${agg(pick((r) => r.failed - r.failedPuts))})`,
    `${agg(pick((r) => r.puts))}+${agg(pick((r) => r.updates))}`, String(agg(pick((r) => r.gets))),
    String(agg(pick((r) => r.windowUpdates))), String(agg(pick((r) => r.probes))),
    closed.length > 0 ? String(agg(closed)) : '-', agg(pick((r) => r.fullestStage)).toFixed(2),
    String(agg(pick((r) => r.storeErrors)))])
}
const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)))
const pad = (c: string, i: number): string => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))
const line = (row: string[]): string => `| ${row.map(pad).join(' | ')} |`

console.log(`Half-open ramp race on ${dynamo.label}.`)
console.log(`${values.containers} containers at ${values.rate} invocations/s each, ${values['tick-ms']} ms ticks (invocations in one `
  + `tick race), probe calls ${callMs[0]}–${callMs[1]} ms, fleet policy (stages 1, 5, 10), ${runs} runs.`)
console.log('landed / failed = writes to the state item that landed / failed their condition (ConditionalCheckFailed), '
  + 'by PutItem (compare-and-set on the version) and UpdateItem (a probe change).\n')
console.log([line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n'))
console.log(`\n${((performance.now() - started) / 1000).toFixed(1)} s wall time`)
