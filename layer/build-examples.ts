/**
 * `npm run build:examples`: compiles the example functions (examples/functions/*.ts and the sample handlers they use
 * from examples/chat/) into layer/functions/chat/, the CodeUri of the example functions in template.yaml.
 *
 *   layer/functions/chat/package.json               {"type": "module"}: the .js files are ES modules
 *   layer/functions/chat/examples/functions/*.js    the handlers (Handler: examples/functions/chat.handler, ...)
 *   layer/functions/chat/examples/chat/*.js         the sample chat handlers (buffered, streaming) they are built from
 *   layer/functions/chat/examples/queue/*.js        the queue path's handlers (request, worker, status)
 *   layer/functions/chat/src/index.js               `export * from 'breakwater'`: the samples import ../../src/index.js;
 *                                                   in the function that is the layer's package, not a copy
 *   layer/functions/chat/src/queue.js               `export * from 'breakwater/queue'`, likewise for ../../src/queue.js
 *
 * Bundles nothing: every bare import must be 'breakwater' or a package the layer carries (checked), so the functions
 * are a few kilobytes and take every library from the layer.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EXAMPLE_IMPORTS } from './build.js'
import { filesUnder, pinTimes, summarize, type TreeSummary } from './tree.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const FUNCTIONS_DIR = join(ROOT, 'layer', 'functions')
export const CHAT_CODE_DIR = join(FUNCTIONS_DIR, 'chat')

/** The public entries the examples import by path (src/<file>), and the layer's package each stands for. */
const ENTRIES = { 'index.js': 'breakwater', 'queue.js': 'breakwater/queue' } as const
const shim = (file: string, pkg: string): string =>
  `// The samples import '../../src/${file}'; in a function that is the layer's package.\nexport * from '${pkg}'\n`
const PACKAGE_JSON = `${JSON.stringify({ name: 'breakwater-example-chat', version: '0.0.0', private: true, type: 'module' }, null, 2)}\n`

/** `from '...'` and `import('...')` specifiers of an emitted module. */
const specifiers = (code: string): string[] =>
  [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? '')

/** Every relative import resolves inside the function; every bare one to the layer. */
function checkImports(codeDir: string): void {
  const allowed = new Set<string>([...Object.values(ENTRIES), ...EXAMPLE_IMPORTS])
  const problems: string[] = []
  for (const file of filesUnder(codeDir).filter((f) => f.endsWith('.js'))) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('node:')) continue
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec)
        if (!target.startsWith(codeDir + '/') || !filesUnder(dirname(target)).includes(target)) {
          problems.push(`${relative(codeDir, file)}: ${spec} is not in the function`)
        }
      } else if (!allowed.has(spec)) {
        const where = relative(codeDir, file)
        problems.push(`${where}: '${spec}' is neither a breakwater entry nor a package the layer carries (EXAMPLE_IMPORTS, layer/build.ts)`)
      }
    }
  }
  if (problems.length > 0) throw new Error(`layer/build-examples: imports that will not resolve in Lambda:\n  ${problems.join('\n  ')}`)
}

/** Builds the example functions' code into `outDir` (replaced). */
export function buildExamples(outDir: string = CHAT_CODE_DIR): TreeSummary {
  const staging = mkdtempSync(join(tmpdir(), 'breakwater-examples-'))
  try {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    const project = join(ROOT, 'layer', 'tsconfig.examples.json')
    execFileSync(process.execPath, [tsc, '-p', project, '--outDir', staging], { cwd: ROOT, stdio: 'inherit' })
    rmSync(outDir, { recursive: true, force: true })
    mkdirSync(outDir, { recursive: true })
    cpSync(join(staging, 'examples'), join(outDir, 'examples'), { recursive: true })
    mkdirSync(join(outDir, 'src'))
    for (const [file, pkg] of Object.entries(ENTRIES)) writeFileSync(join(outDir, 'src', file), shim(file, pkg))
    writeFileSync(join(outDir, 'package.json'), PACKAGE_JSON)
    checkImports(outDir)
    pinTimes(outDir)
    return summarize(outDir)
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = buildExamples()
  console.log(`${relative(ROOT, CHAT_CODE_DIR)}: ${built.files} files, ${(built.bytes / 1024).toFixed(1)} KB, sha256 ${built.sha256}`)
}
