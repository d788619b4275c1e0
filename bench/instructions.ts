/**
 * `npm run bench:instructions [-- --from 20000 --to 60000]`
 *
 * The overhead bench's variants counted in CPU instructions instead of microseconds: each runs in its own process
 * under valgrind's callgrind, once for `--from` and once for `--to` invocations, and the difference divided by
 * `to − from` is what one warm invocation executes (start-up, module loading and JIT warm-up cancel out). Node runs
 * with `--single-threaded` (no concurrent JIT or GC threads to count) and a large young generation, so two runs of
 * the same variant agree to about 1 %. Wall time on a shared machine moves by 20 % between runs; this does not, so
 * it is the number to compare a change by. Needs valgrind; prints numbers, asserts nothing. About 5 minutes.
 */
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } })
const from = Number(values.from ?? 20_000)
const to = Number(values.to ?? 60_000)
const BUNDLE = new URL('../.out/overhead.mjs', import.meta.url).pathname

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.log('bench:instructions needs valgrind (apt-get install valgrind); not found, nothing measured.')
  process.exit(0)
}

function instructions(variant: string, invocations: number): number {
  const run = spawnSync('valgrind', [
    '--tool=callgrind', '--callgrind-out-file=/dev/null', '--smc-check=all-non-file',
    process.execPath, '--single-threaded', '--max-semi-space-size=64', BUNDLE, '--only', variant, '--invocations', String(invocations),
  ], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const collected = /Collected : (\d+)/.exec(run.stderr)
  if (run.status !== 0 || !collected) throw new Error(`callgrind run of ${variant} failed:\n${run.stderr.slice(-2_000)}`)
  return Number(collected[1])
}

const perInvocation = (variant: string): number => (instructions(variant, to) - instructions(variant, from)) / (to - from)
const [bare, preset, barePt, presetPt] = ['bare', 'preset', 'bare-powertools', 'preset-powertools'].map(perInvocation) as
  [number, number, number, number]

const k = (n: number): string => `${(n / 1000).toFixed(1)}k`.padStart(9)
console.log(`Instructions per warm invocation (callgrind, ${to} − ${from} invocations, node ${process.version} --single-threaded)\n`)
console.log(`${'bare middy + client.send'.padEnd(44)}${k(bare)}`)
console.log(`${'preset, no Logger/Metrics'.padEnd(44)}${k(preset)}`)
console.log(`${'bare middy + Powertools Logger/Metrics'.padEnd(44)}${k(barePt)}`)
console.log(`${'preset + Powertools Logger (WARN)/Metrics'.padEnd(44)}${k(presetPt)}`)
console.log('\nBreakwater\'s own work (preset − bare):')
console.log(`  without Powertools: +${k(preset - bare).trim()} instructions (${(preset / bare).toFixed(2)}×)`)
console.log(`  with Powertools:    +${k(presetPt - barePt).trim()} instructions (${(presetPt / barePt).toFixed(2)}×)`)
