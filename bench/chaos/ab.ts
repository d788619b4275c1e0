/**
 * `npm run bench:ab -- '<variant JSON>' [scenario ...] [--instances N] [--rate R] [--scale K]`
 * `npm run bench:hedge` = `bench:ab -- '{"fallback":{"hedge":true}}' slow-first-byte hangs`
 * `npm run bench:hedge-stream` = the same on the stream scenarios `stream-slow-first-token` and `stream-mix`
 *
 * An A/B of Breakwater's options on the chaos bench: the default preset (A) and the preset with the variant's
 * `fallback` / `breaker` options on top (B), side by side — same seeded arrivals, same fault script, each with its
 * own fake Bedrock and breaker table. E.g. what hedged requests buy where a first target is slow (slow-first-byte)
 * or never answers (hangs), or another adaptive-throttle `k` on the capacity scenarios
 * (`'{"breaker":{"admission":{"k":1.2}}}' quota-cut throttling-storm`). Prints success, p50 / p99, upstream calls
 * per request, raw errors and overruns, for the capacity scenarios the share of the goodput ceiling, and for the
 * stream scenarios the time to first token (p50 / p99) and the successes whose answer was truncated.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { seededRandom } from '../../tools/fake-bedrock/fake-bedrock.js'
import { startLocalDynamo } from '../support/local-dynamo.js'
import { arrivals } from './arrivals.js'
import { goodputCeiling } from './ceiling.js'
import { runFleet } from './fleet.js'
import { barrier, oneAtATime } from './fleet-warmup.js'
import { atRate, CHAOS_SCENARIOS, scaled, type ChaosScenario } from './scenarios.js'
import { summarize } from './summary.js'
import type { BreakwaterVariant, FleetStrategy } from './types.js'

const PAIR: readonly FleetStrategy[] = ['breakwater', 'breakwater-b']

async function main(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv], allowPositionals: true,
    options: { instances: { type: 'string' }, rate: { type: 'string' }, scale: { type: 'string' }, seed: { type: 'string' } },
  })
  const num = (v: string | undefined, d: number): number => (v === undefined ? d : Number(v))
  const [instances, rate, scale, seed] = [num(values.instances, 20), num(values.rate, 10), num(values.scale, 1), num(values.seed, 7)]
  const [json, ...rest] = positionals
  if (json === undefined) throw new Error("usage: npm run bench:ab -- '<variant JSON>' [scenario ...]")
  const variant = JSON.parse(json) as BreakwaterVariant
  const names = rest.length > 0 ? rest : ['slow-first-byte', 'hangs']
  for (const n of names) if (!CHAOS_SCENARIOS.has(n)) throw new Error(`unknown scenario ${n}`)
  const dynamo = await startLocalDynamo()
  process.stdout.write(`DynamoDB: ${dynamo.label}; B = ${json}\n\n`)
  const head = ['scenario', 'Breakwater', 'success', 'p50', 'p99', 'calls / req', 'raw errors', 'overruns', 'of ceiling', 'TTFT p50 / p99',
    'truncated as success']
  process.stdout.write(`| ${head.join(' | ')} |\n`)
  process.stdout.write(`|${' --- |'.repeat(head.length)}\n`)
  try {
    for (const [index, name] of names.entries()) {
      const scenario = atRate(scaled(CHAOS_SCENARIOS.get(name) as ChaosScenario, scale, undefined), rate)
      const load = arrivals(rate, scenario.durationS, seededRandom(seed + index), scenario.workload, scenario.rateProfile)
      const tables = PAIR.map((s) => `hedge-${index}-${name}-${s}`)
      for (const t of tables) await dynamo.createBreakerTable(t)
      // One warm-up queue and one start line for both fleets, as the chaos bench has.
      const [prepare, ready] = [oneAtATime(), barrier(PAIR.length)]
      const runs = await Promise.all(PAIR.map((s, i) => runFleet(s, scenario, load, {
        instances, timeoutMs: 10_000, halfOpenAfterMs: 5_000, dynamo: { clientConfig: dynamo.clientConfig, tableName: tables[i] as string },
        prepare, ready, variant: s === 'breakwater-b' ? variant : undefined,
      })))
      for (const run of runs) {
        const ceiling = goodputCeiling(run.strategy, scenario, load)
        const m = summarize(run, scenario, ceiling?.admitted)
        const cells = [
          name, run.strategy === 'breakwater' ? 'A (defaults)' : 'B', `${(m.successRate * 100).toFixed(1)} %`, `${m.p50Ms} ms`,
          `${m.p99Ms} ms`, String(m.amplification), String(m.outcomes['raw-error']), String(m.overruns),
          m.capacity ? `${(m.capacity.share * 100).toFixed(1)} %` : '–',
          m.stream ? `${m.stream.ttftP50Ms ?? '–'} / ${m.stream.ttftP99Ms ?? '–'} ms` : '–',
          m.stream ? String(m.stream.truncatedAsSuccess) : '–',
        ]
        process.stdout.write(`| ${cells.join(' | ')} |\n`)
      }
    }
  } finally {
    await dynamo.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main(process.argv.slice(2))
  process.exit()
}
