/**
 * `npm run bench:hedge [-- slow-first-byte hangs] [--instances N] [--rate R] [--scale K]`
 *
 * What hedged requests (`fallback({ hedge: true })`) buy: the chaos bench's fleets, Breakwater with hedging off and
 * on side by side (same seeded arrivals, same fault script, each with its own fake Bedrock and breaker table), on the
 * scenarios where a first target is slow (slow-first-byte: us-east-1 answers after 4 s) or never answers (hangs).
 * Prints success, p50 / p99 latency and upstream calls per request for each.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { seededRandom } from '../../tools/fake-bedrock/fake-bedrock.js'
import { startLocalDynamo } from '../support/local-dynamo.js'
import { arrivals } from './arrivals.js'
import { runFleet } from './fleet.js'
import { barrier, oneAtATime } from './fleet-warmup.js'
import { atRate, CHAOS_SCENARIOS, scaled, type ChaosScenario } from './scenarios.js'
import { summarize } from './summary.js'
import type { FleetStrategy } from './types.js'

const PAIR: readonly FleetStrategy[] = ['breakwater', 'breakwater-hedge']

async function main(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv], allowPositionals: true,
    options: { instances: { type: 'string' }, rate: { type: 'string' }, scale: { type: 'string' }, seed: { type: 'string' } },
  })
  const num = (v: string | undefined, d: number): number => (v === undefined ? d : Number(v))
  const [instances, rate, scale, seed] = [num(values.instances, 20), num(values.rate, 10), num(values.scale, 1), num(values.seed, 7)]
  const names = positionals.length > 0 ? positionals : ['slow-first-byte', 'hangs']
  for (const n of names) if (!CHAOS_SCENARIOS.has(n)) throw new Error(`unknown scenario ${n}`)
  const dynamo = await startLocalDynamo()
  process.stdout.write(`DynamoDB: ${dynamo.label}\n\n| scenario | hedging | success | p50 | p99 | calls / req | raw errors | overruns |\n`)
  process.stdout.write(`|${' --- |'.repeat(8)}\n`)
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
        prepare, ready,
      })))
      for (const run of runs) {
        const m = summarize(run, scenario)
        const cells = [
          name, run.strategy === 'breakwater' ? 'off' : 'on', `${(m.successRate * 100).toFixed(1)} %`, `${m.p50Ms} ms`, `${m.p99Ms} ms`,
          String(m.amplification), String(m.outcomes['raw-error']), String(m.overruns),
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
