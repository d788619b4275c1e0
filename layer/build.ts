/**
 * `npm run build:layer`: builds the Lambda layer into layer/nodejs/ (Lambda mounts it at /opt/nodejs, whose
 * node_modules Node.js resolves from, for ES modules too on nodejs18.x and later).
 *
 *   layer/nodejs/node_modules/breakwater/   dist/*.js (compiled from src/ into a fresh directory, so stale files in
 *                                           dist/ never ship) and a package.json pointing at it
 *   layer/nodejs/node_modules/<the rest>/   the runtime dependencies: `npm ci --omit=dev` from package-lock.json, so
 *                                           every version is the locked one (Middy, Powertools, SDK clients, ajv)
 *
 * Only what runs is kept: type declarations and source maps are removed. No native modules (checked), so one layer
 * serves arm64 and x86_64. File times are pinned and nothing absolute is written, so one commit gives one tree; the
 * build prints its size, file count and sha256, and `-- --verify` builds it a second time and compares.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { filesUnder, megabytes, pinTimes, prune, summarize, type TreeSummary } from './tree.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const LAYER_DIR = join(ROOT, 'layer', 'nodejs')

/** Files no Lambda ever loads: declarations, maps, and npm's own bookkeeping. */
const NOT_RUNTIME = /(\.d\.[cm]?ts|\.map|\.tsbuildinfo)$|^node_modules\/\.package-lock\.json$|^node_modules\/\.bin\//

interface RootPackage {
  readonly name: string
  readonly version: string
  readonly description: string
  readonly license: string
  readonly engines: Record<string, string>
  readonly dependencies: Record<string, string>
}

const rootPackage = (): RootPackage => JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as RootPackage

function run(command: string, args: readonly string[], cwd: string): void {
  const env = { ...process.env, npm_config_update_notifier: 'false' }
  execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env })
}

/** Compiles src/ (tsconfig.build.json) into `outDir`: JavaScript only. */
function compileSources(outDir: string): void {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir, '--declaration', 'false', '--sourceMap', 'false'], ROOT)
}

/** The locked runtime dependencies, installed the way `npm ci` installs them, into `dir`/node_modules. */
function installDependencies(dir: string): void {
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(ROOT, file), join(dir, file))
  run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], dir)
}

/** The package.json of breakwater inside the layer: ESM, one entry, the dependency pins for the record. */
function layerPackageJson(pkg: RootPackage): string {
  const { name, version, description, license, engines, dependencies } = pkg
  const manifest = {
    name, version, description, license,
    type: 'module',
    main: './dist/index.js',
    exports: { '.': './dist/index.js', './dynamodb': './dist/aws/dynamodb/index.js' },
    engines, dependencies,
  }
  return `${JSON.stringify(manifest, null, 2)}\n`
}

/** Fails the build on anything that would tie the layer to one CPU or to this machine. */
function checkPortable(outDir: string, forbidden: readonly string[]): void {
  const problems: string[] = []
  for (const file of filesUnder(outDir)) {
    const rel = relative(outDir, file)
    if (/\.node$|binding\.gyp$/.test(rel)) problems.push(`native module: ${rel}`)
    if (/\.(c|m)?js$|\.json$/.test(rel)) {
      const text = readFileSync(file, 'utf8')
      for (const path of forbidden) if (text.includes(path)) problems.push(`absolute build path in ${rel}`)
    }
  }
  if (problems.length > 0) throw new Error(`layer/build: the layer is not portable:\n  ${problems.join('\n  ')}`)
}

/** Builds the layer's `nodejs/` tree into `outDir` (replaced). */
export function buildLayer(outDir: string = LAYER_DIR): TreeSummary {
  const staging = mkdtempSync(join(tmpdir(), 'breakwater-layer-'))
  try {
    compileSources(join(staging, 'dist'))
    installDependencies(join(staging, 'deps'))
    const pkg = rootPackage()
    const modules = join(staging, 'deps', 'node_modules')
    const self = join(modules, pkg.name)
    mkdirSync(self, { recursive: true })
    renameSync(join(staging, 'dist'), join(self, 'dist'))
    writeFileSync(join(self, 'package.json'), layerPackageJson(pkg))
    prune(join(staging, 'deps'), (path) => !path.startsWith('node_modules/') || NOT_RUNTIME.test(path))
    checkPortable(join(staging, 'deps'), [ROOT, staging])
    rmSync(outDir, { recursive: true, force: true })
    mkdirSync(dirname(outDir), { recursive: true })
    renameOrCopy(join(staging, 'deps'), outDir)
    pinTimes(outDir)
    return summarize(outDir)
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/** rename(2) fails across file systems (tmpdir on tmpfs): copy then. */
function renameOrCopy(from: string, to: string): void {
  try {
    renameSync(from, to)
  } catch {
    cpSync(from, to, { recursive: true, verbatimSymlinks: true })
  }
}

/**
 * Imports the layer's entry and the packages the example functions import, from a copy of the layer outside this
 * repository (so nothing resolves from the repo's own node_modules), and returns the entry's cold import time.
 */
export function smokeTest(layerDir: string = LAYER_DIR): number {
  const scratch = mkdtempSync(join(tmpdir(), 'breakwater-opt-'))
  try {
    const nodejs = join(scratch, 'opt', 'nodejs')
    cpSync(layerDir, nodejs, { recursive: true, verbatimSymlinks: true })
    const probe = join(nodejs, 'smoke.mjs')
    writeFileSync(probe, [
      'const t0 = performance.now()',
      "const bw = await import('breakwater')",
      'const ms = performance.now() - t0',
      "if (typeof bw.breakwater !== 'function') throw new Error('breakwater() is not exported')",
      ...EXAMPLE_IMPORTS.map((m) => `await import('${m}')`),
      'console.log(ms.toFixed(0))',
    ].join('\n'))
    return Number(execFileSync(process.execPath, [probe], { cwd: scratch, encoding: 'utf8' }).trim())
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

/** Bare imports of the example functions (examples/): each must resolve inside the layer. */
export const EXAMPLE_IMPORTS = [
  '@middy/core',
  '@aws-lambda-powertools/batch',
  '@aws-lambda-powertools/logger',
  '@aws-lambda-powertools/logger/middleware',
  '@aws-lambda-powertools/metrics',
  '@aws-lambda-powertools/metrics/middleware',
  '@aws-lambda-powertools/tracer',
  '@aws-lambda-powertools/idempotency',
  '@aws-lambda-powertools/idempotency/dynamodb',
  '@aws-sdk/client-bedrock-runtime',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
] as const

function main(): void {
  const verify = process.argv.includes('--verify')
  const built = buildLayer()
  const coldMs = smokeTest()
  console.log(`layer/nodejs: ${megabytes(built.bytes)} MB unzipped, ${built.files} files, sha256 ${built.sha256}`)
  console.log(`cold import of 'breakwater' from the layer: ${coldMs} ms (this machine)`)
  if (verify) {
    const again = mkdtempSync(join(tmpdir(), 'breakwater-layer-again-'))
    try {
      const second = buildLayer(join(again, 'nodejs'))
      const same = second.sha256 === built.sha256 && second.files === built.files
      console.log(`second build: sha256 ${second.sha256}: ${same ? 'identical' : 'DIFFERENT'}`)
      if (!same) process.exitCode = 1
    } finally {
      rmSync(again, { recursive: true, force: true })
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
