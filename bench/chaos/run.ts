/**
 * `npm run bench:chaos -- [scenario ... | streams] [--instances N] [--rate R] [--duration S] [--scale K] [--timeout MS] [--out dir]`
 *
 * Per scenario, the six strategies run at the same time, each with its own fleet and its own fake Bedrock following
 * the same fault script, on the same seeded arrivals; Breakwater's and dynamodb-lww's breakers live in one DynamoDB
 * Local (dynalite where Java is missing: the first line says which), a fresh table per scenario. Writes
 * `chaos-results.json`, `chaos-report.html` and `chaos-tables.md` to `--out` (default bench/chaos/out).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { seededRandom } from '../../tools/fake-bedrock/fake-bedrock.js'
import { startLocalDynamo } from '../support/local-dynamo.js'
import { arrivals } from './arrivals.js'
import { goodputCeiling } from './ceiling.js'
import { runFleet } from './fleet.js'
import { barrier, oneAtATime } from './fleet-warmup.js'
import { renderMarkdown } from './markdown.js'
import { renderReport } from './report.js'
import type { ChaosOptions, ChaosResults, ScenarioResult } from './results.js'
import { atRate, CHAOS_SCENARIOS, DEFAULT_SCENARIOS, scaled, STREAM_SCENARIOS, type ChaosScenario } from './scenarios.js'
import { series, summarize } from './summary.js'
import { DYNAMODB_STRATEGIES, STRATEGIES } from './types.js'

export async function runChaos(o: ChaosOptions): Promise<{ json: string; html: string; results: ChaosResults }> {
  const unknown = o.scenarios.filter((s) => !CHAOS_SCENARIOS.has(s))
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${[...CHAOS_SCENARIOS.keys()].join(', ')}`)
  const dynamo = await startLocalDynamo()
  o.log?.(`DynamoDB: ${dynamo.label}`)
  const results: ScenarioResult[] = []
  try {
    for (const [index, name] of o.scenarios.entries()) {
      // Quotas are written for the nominal rate and scaled to `--rate`, so the ceiling keeps its place.
      const scenario = atRate(scaled(CHAOS_SCENARIOS.get(name) as ChaosScenario, o.scale, o.durationS), o.rate)
      const tableName = `chaos-${index}-${name}`
      await dynamo.createBreakerTable(tableName)
      const load = arrivals(o.rate, scenario.durationS, seededRandom(o.seed + index), scenario.workload, scenario.rateProfile)
      o.log?.(`${name}: ${load.length} requests over ${scenario.durationS} s, ${o.instances} instances max, ` +
        `${STRATEGIES.length} strategies at once`)
      const fleet = {
        instances: o.instances, timeoutMs: o.timeoutMs, halfOpenAfterMs: o.halfOpenAfterMs,
        dynamo: { clientConfig: dynamo.clientConfig, tableName },
        prepare: oneAtATime(), ready: barrier(STRATEGIES.length),
      }
      const runs = await Promise.all(STRATEGIES.map((s) => runFleet(s, scenario, load, fleet)))
      const strategies = Object.fromEntries(runs.map((run) => {
        const ceiling = goodputCeiling(run.strategy, scenario, load)
        const summary = summarize(run, scenario, ceiling?.admitted)
        return [run.strategy, { summary, series: series(run, scenario.durationS, ceiling?.perSecond) }]
      })) as ScenarioResult['strategies']
      for (const s of STRATEGIES) {
        const m = strategies[s].summary
        const rates = `success ${(m.successRate * 100).toFixed(1)}%  degraded ${(m.degradedRate * 100).toFixed(1)}%`
        const counts = `raw ${m.outcomes['raw-error']}  overruns ${m.overruns}`
        o.log?.(`  ${s.padEnd(12)} ${rates}  ${counts}  p50 ${m.p50Ms} ms  p99 ${m.p99Ms} ms  calls/req ${m.amplification}`)
        const c = m.capacity
        const share = c && `goodput ${c.goodput} of ceiling ${c.ceiling} (${(c.share * 100).toFixed(1)}%)`
        const cost = c && `429s ${c.throttled429}  Lambda-throttled ${m.outcomes.throttled}  busy ${m.busySeconds} s`
        if (c) o.log?.(`  ${''.padEnd(12)} ${share}  ${cost}`)
        const d = m.dynamo
        const ddb = `DynamoDB ${d.reads} reads  ${d.writes} writes  ${d.perRequest} requests per request`
        if (DYNAMODB_STRATEGIES.has(s)) o.log?.(`  ${''.padEnd(12)} ${ddb}`)
        const st = m.stream
        const ttft = st && `TTFT p50 ${st.ttftP50Ms} ms  p99 ${st.ttftP99Ms} ms`
        if (st) o.log?.(`  ${''.padEnd(12)} complete ${st.complete}  truncated-as-success ${st.truncatedAsSuccess}  ${ttft}`)
      }
      results.push({ scenario, strategies })
    }
  } finally {
    await dynamo.close()
  }
  const { log: _log, outDir, ...options } = o
  const all: ChaosResults = { command: commandOf(o), options, results }
  mkdirSync(outDir, { recursive: true })
  const json = join(outDir, 'chaos-results.json')
  const html = join(outDir, 'chaos-report.html')
  writeFileSync(json, `${JSON.stringify(all, null, 2)}\n`)
  writeFileSync(html, renderReport(all))
  writeFileSync(join(outDir, 'chaos-tables.md'), renderMarkdown(all))
  return { json, html, results: all }
}

function commandOf(o: ChaosOptions): string {
  return `npm run bench:chaos -- ${o.scenarios.join(' ')} --instances ${o.instances} --rate ${o.rate}` +
    `${o.durationS === undefined ? '' : ` --duration ${o.durationS}`} --scale ${o.scale} --timeout ${o.timeoutMs}`
}

const USAGE =
  'usage: npm run bench:chaos -- [scenario ...] [--instances N] [--rate R] [--duration S] [--scale K] [--timeout MS] [--out dir]'

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv], allowPositionals: true,
    options: {
      instances: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, scale: { type: 'string' },
      timeout: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, 'half-open-after': { type: 'string' },
    },
  })
  const num = (v: string | undefined, d: number): number => (v === undefined ? d : Number(v))
  const options: ChaosOptions = {
    // `streams` stands for every stream scenario.
    scenarios: positionals.length > 0 ? positionals.flatMap((p) => (p === 'streams' ? STREAM_SCENARIOS : [p])) : [...DEFAULT_SCENARIOS],
    instances: num(values.instances, 20), rate: num(values.rate, 10),
    // undefined when not given (JSON.stringify leaves it out of chaos-results.json)
    durationS: values.duration === undefined ? undefined : Number(values.duration),
    scale: num(values.scale, 1), timeoutMs: num(values.timeout, 10_000), halfOpenAfterMs: num(values['half-open-after'], 5_000),
    outDir: resolve(values.out ?? 'bench/chaos/out'), seed: num(values.seed, 7),
    log: (line) => process.stdout.write(`${line}\n`),
  }
  const bad = [options.instances, options.rate, options.scale, options.timeoutMs, options.durationS ?? 1].some((n) => !(n > 0))
  if (bad) {
    process.stderr.write(`${USAGE}\nevery number must be positive\n`)
    return 2
  }
  const { json, html } = await runChaos(options)
  process.stdout.write(`wrote ${json}\nwrote ${html}\n`)
  return 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2))
  // Abandoned invocations (overruns) may still hold client sockets; the run is over.
  process.exit()
}
