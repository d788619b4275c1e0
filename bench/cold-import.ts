/**
 * `npm run bench:cold-import [-- --runs 15] [--reuse-layer]`
 *
 * What loading Breakwater adds to a cold start: the time a fresh Node process takes to `import()` the layer's entry
 * (`breakwater`, from a copy of layer/nodejs, as Lambda mounts it at /opt/nodejs) against the AWS SDK clients alone,
 * which a handler calling Bedrock loads anyway. Each run is a new process on this machine's Node (22 under npm run);
 * variants are interleaved run by run, so a noisy neighbour hits all of them alike. Builds the layer first (so the
 * numbers are this checkout's), unless `--reuse-layer` and layer/nodejs exists. Prints numbers; asserts nothing.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

/** What `npm run build:layer` writes (layer/build.ts). */
const LAYER_DIR = join(fileURLToPath(new URL('..', import.meta.url)), 'layer', 'nodejs')

/** What each variant imports, in order, in one fresh process. */
const VARIANTS: Readonly<Record<string, readonly string[]>> = {
  'breakwater (layer entry)': ['breakwater'],
  'breakwater + breakwater/dynamodb': ['breakwater', 'breakwater/dynamodb'],
  '@aws-sdk/client-bedrock-runtime': ['@aws-sdk/client-bedrock-runtime'],
  'client-bedrock-runtime + client-dynamodb': ['@aws-sdk/client-bedrock-runtime', '@aws-sdk/client-dynamodb'],
  '@middy/core + Powertools logger, metrics': ['@middy/core', '@aws-lambda-powertools/logger', '@aws-lambda-powertools/metrics'],
}

/** The variant the others are compared with: what a handler calling Bedrock loads anyway. */
const BASELINE = '@aws-sdk/client-bedrock-runtime'

const signed = (ms: number): string => `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(1)}`

/**
 * Runs in the child: imports the specifiers given as arguments and prints how long that took, ms: wall clock, then
 * the CPU time of the process meanwhile (user + system, all threads), which waiting for a busy core does not inflate.
 */
const CHILD = `const t = performance.now()
const c = process.cpuUsage()
for (const s of process.argv.slice(1)) await import(s)
const u = process.cpuUsage(c)
process.stdout.write((performance.now() - t) + ' ' + (u.user + u.system) / 1000)`

interface Sample {
  readonly wallMs: number
  readonly cpuMs: number
}

function importMs(cwd: string, specifiers: readonly string[]): Sample {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, ...specifiers], { cwd, encoding: 'utf8' })
  const [wallMs, cpuMs] = out.split(' ').map(Number)
  return { wallMs: wallMs as number, cpuMs: cpuMs as number }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

function main(argv: readonly string[]): void {
  const { values } = parseArgs({ args: [...argv], options: { runs: { type: 'string' }, 'reuse-layer': { type: 'boolean' } } })
  const runs = Number(values.runs ?? 10)
  if (!(Number.isInteger(runs) && runs > 0)) throw new RangeError(`--runs must be a positive integer (got ${values.runs})`)
  // Built by its own npm script, as a user would: bench/ does not import layer/.
  const built = existsSync(join(LAYER_DIR, 'node_modules', 'breakwater'))
  if (!(built && values['reuse-layer'] === true)) execFileSync('npm', ['run', 'build:layer'], { stdio: 'inherit' })
  // A copy outside the repository, so nothing resolves from the repository's own node_modules.
  const opt = mkdtempSync(join(tmpdir(), 'breakwater-cold-'))
  try {
    cpSync(LAYER_DIR, join(opt, 'nodejs'), { recursive: true, verbatimSymlinks: true })
    const cwd = join(opt, 'nodejs')
    const names = Object.keys(VARIANTS)
    for (const name of names) importMs(cwd, VARIANTS[name] as readonly string[]) // warm the file cache
    const samples = new Map(names.map((n) => [n, [] as Sample[]]))
    for (let r = 0; r < runs; r++) for (const name of names) samples.get(name)?.push(importMs(cwd, VARIANTS[name] as readonly string[]))
    process.stdout.write(`cold import, ${runs} fresh processes per variant, Node ${process.version}\n`)
    const sdk = samples.get(BASELINE) ?? []
    const base = median(sdk.map((s) => s.wallMs))
    const baseCpu = median(sdk.map((s) => s.cpuMs))
    for (const name of names) {
      const t = (samples.get(name) ?? []).map((s) => s.wallMs)
      const m = median(t)
      // Run r of every variant ran back to back, so the difference within a run is less exposed to a neighbour's
      // load than the difference of two medians: both are printed.
      const paired = median(t.map((ms, r) => ms - (sdk[r]?.wallMs as number)))
      const cpu = median((samples.get(name) ?? []).map((s) => s.cpuMs))
      const range = `min ${Math.min(...t).toFixed(1).padStart(6)}  max ${Math.max(...t).toFixed(1).padStart(6)}`
      const vsBase = `×${(m / base).toFixed(2)} of the Bedrock client alone, ${signed(m - base)} ms (paired ${signed(paired)} ms)`
      const cpuCost = `CPU ${cpu.toFixed(1)} ms, ${signed(cpu - baseCpu)} ms`
      process.stdout.write(`${name.padEnd(44)} median ${m.toFixed(1).padStart(6)} ms  ${range}  ${vsBase}; ${cpuCost}\n`)
    }
  } finally {
    rmSync(opt, { recursive: true, force: true })
  }
}

main(process.argv.slice(2))
