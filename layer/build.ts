/**
 * `npm run build:layer`: builds the Lambda layer into layer/nodejs/ (Lambda mounts it at /opt/nodejs, whose
 * node_modules Node.js resolves from, for ES modules too on nodejs18.x and later).
 *
 *   layer/nodejs/node_modules/breakwater/   dist/: src/ compiled into a fresh directory (so stale files in dist/
 *                                           never ship), then bundled by esbuild into the two entry points and their
 *                                           chunks (layer/bundle.ts); and a package.json pointing at them
 *   layer/nodejs/node_modules/<the rest>/   breakwater's dependencies, Middy (its peer) and every package the example
 *                                           functions import (EXAMPLE_IMPORTS): `npm ci --omit=dev` against
 *                                           package-lock.json, so every version is the locked one
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
import { bundleBreakwater, entryPoints } from './bundle.js'
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
  readonly exports: Record<string, { readonly types: string; readonly import: string }>
  readonly dependencies: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>
}

interface Lockfile {
  readonly packages: Record<string, { readonly version?: string }>
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as T
const rootPackage = (): RootPackage => readJson<RootPackage>('package.json')

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')

/**
 * What the layer carries besides breakwater, at the versions package-lock.json pins: breakwater's dependencies, its
 * required peers (Middy), and the packages the example functions import, which are only devDependencies of this
 * repository (an npm user brings their own Powertools; the layer's functions get them from here).
 */
export function layerDependencies(
  pkg: RootPackage = rootPackage(),
  lock: Lockfile = readJson<Lockfile>('package-lock.json'),
): Record<string, string> {
  const requiredPeers = Object.keys(pkg.peerDependencies ?? {}).filter((name) => pkg.peerDependenciesMeta?.[name]?.optional !== true)
  const names = new Set([...Object.keys(pkg.dependencies), ...requiredPeers, ...EXAMPLE_IMPORTS.map(packageOf)])
  return Object.fromEntries([...names].sort().map((name) => {
    const version = lock.packages[`node_modules/${name}`]?.version
    if (version === undefined) {
      throw new Error(`layer/build: ${name} is not in package-lock.json: add it to package.json (devDependencies) and run npm install`)
    }
    return [name, version]
  }))
}

function run(command: string, args: readonly string[], cwd: string): void {
  const env = { ...process.env, npm_config_update_notifier: 'false' }
  execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env })
}

/** Compiles src/ (tsconfig.build.json) into `outDir`: JavaScript only. */
function compileSources(outDir: string): void {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir, '--declaration', 'false', '--sourceMap', 'false'], ROOT)
}

/**
 * The layer's packages (layerDependencies) installed the way `npm ci` installs them, into `dir`/node_modules: a
 * package.json that lists only them, next to this repository's package-lock.json. npm takes every version from the
 * lock (and fails if one does not satisfy), recomputes which entries are needed, and leaves the rest out.
 */
function installDependencies(dir: string, pkg: RootPackage): void {
  mkdirSync(dir, { recursive: true })
  const manifest = {
    name: `${pkg.name}-layer`, version: pkg.version, private: true, license: pkg.license, dependencies: layerDependencies(pkg),
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  cpSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'))
  run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], dir)
}

/** The package.json of breakwater inside the layer: ESM, the npm package's entry points, its pins for the record. */
function layerPackageJson(pkg: RootPackage): string {
  const { name, version, description, license, engines, dependencies, peerDependencies, peerDependenciesMeta } = pkg
  const exports = Object.fromEntries(Object.entries(pkg.exports).map(([subpath, target]) => [subpath, target.import]))
  const manifest = {
    name, version, description, license, type: 'module', main: './dist/index.js', exports, engines,
    dependencies, peerDependencies, peerDependenciesMeta,
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
    const pkg = rootPackage()
    compileSources(join(staging, 'dist'))
    installDependencies(join(staging, 'deps'), pkg)
    const self = join(staging, 'deps', 'node_modules', pkg.name)
    mkdirSync(self, { recursive: true })
    bundleBreakwater(join(staging, 'dist'), join(self, 'dist'), entryPoints(pkg.exports))
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
 * Imports the layer's entry, its other entries (`breakwater/dynamodb`, `breakwater/queue`) and the packages the
 * example functions import, from a copy of the layer outside this repository (so nothing resolves from the repo's
 * own node_modules), and returns the entry's cold import time.
 */
export function smokeTest(layerDir: string = LAYER_DIR): number {
  const subpaths = Object.keys(rootPackage().exports).filter((s) => s !== '.').map((s) => `breakwater${s.slice(1)}`)
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
      ...[...subpaths, ...EXAMPLE_IMPORTS].map((m) => `await import('${m}')`),
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
  '@middy/core/StreamifyResponse',
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
