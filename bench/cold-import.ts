/**
 * `npm run bench:cold-import [-- --runs 10]`
 *
 * What loading Breakwater adds to a cold start: the time a fresh Node process takes to `import()` the layer's entry
 * (`breakwater`, from a copy of layer/nodejs, as Lambda mounts it at /opt/nodejs) against the AWS SDK clients alone,
 * which a handler calling Bedrock loads anyway. Each run is a new process on this machine's Node (22 under npm run);
 * variants are interleaved run by run, so a noisy neighbour hits all of them alike. Builds the layer first when
 * layer/nodejs is missing. Prints numbers; asserts nothing.
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
  '@aws-sdk/client-bedrock-runtime': ['@aws-sdk/client-bedrock-runtime'],
  'client-bedrock-runtime + client-dynamodb': ['@aws-sdk/client-bedrock-runtime', '@aws-sdk/client-dynamodb'],
  '@middy/core + Powertools logger, metrics': ['@middy/core', '@aws-lambda-powertools/logger', '@aws-lambda-powertools/metrics'],
}

/** Runs in the child: imports the specifiers given as arguments and prints how long that took, ms. */
const CHILD = `const t = performance.now()
for (const s of process.argv.slice(1)) await import(s)
process.stdout.write(String(performance.now() - t))`

function importMs(cwd: string, specifiers: readonly string[]): number {
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, ...specifiers], { cwd, encoding: 'utf8' }))
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

function main(argv: readonly string[]): void {
  const { values } = parseArgs({ args: [...argv], options: { runs: { type: 'string' } } })
  const runs = Number(values.runs ?? 10)
  if (!(Number.isInteger(runs) && runs > 0)) throw new RangeError(`--runs must be a positive integer (got ${values.runs})`)
  // Built by its own npm script, as a user would: bench/ does not import layer/.
  if (!existsSync(join(LAYER_DIR, 'node_modules', 'breakwater'))) execFileSync('npm', ['run', 'build:layer'], { stdio: 'inherit' })
  // A copy outside the repository, so nothing resolves from the repository's own node_modules.
  const opt = mkdtempSync(join(tmpdir(), 'breakwater-cold-'))
  try {
    cpSync(LAYER_DIR, join(opt, 'nodejs'), { recursive: true, verbatimSymlinks: true })
    const cwd = join(opt, 'nodejs')
    const names = Object.keys(VARIANTS)
    for (const name of names) importMs(cwd, VARIANTS[name] as readonly string[]) // warm the file cache
    const times = new Map(names.map((n) => [n, [] as number[]]))
    for (let r = 0; r < runs; r++) for (const name of names) times.get(name)?.push(importMs(cwd, VARIANTS[name] as readonly string[]))
    process.stdout.write(`cold import, ${runs} fresh processes per variant, Node ${process.version}\n`)
    const base = median(times.get('@aws-sdk/client-bedrock-runtime') ?? [])
    for (const name of names) {
      const t = times.get(name) ?? []
      const m = median(t)
      const ms = (n: number): string => n.toFixed(1).padStart(6)
      const spread = `median ${ms(m)} ms  min ${ms(Math.min(...t))}  max ${ms(Math.max(...t))}`
      process.stdout.write(`${name.padEnd(44)} ${spread}  ×${(m / base).toFixed(2)} of the Bedrock client alone\n`)
    }
  } finally {
    rmSync(opt, { recursive: true, force: true })
  }
}

main(process.argv.slice(2))
