/**
 * The folders' layering (DESIGN.md, "Layers of the code"), checked over the import specifiers of every source file:
 * test/, bench/ and layer/ share code only through tools/; tools/ imports none of them; examples/ are what
 * template.yaml deploys and import Breakwater only as its public entry; src/core imports no AWS SDK, no Middy and
 * nothing of src/ above it. A regex over the text, not a resolver: it sees `from '…'`, `import '…'`, `import('…')`,
 * `require('…')` and `new URL('…', import.meta.url)`. The same imports, type-only ones included, must form no circle.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, posix, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const FOLDERS = ['src', 'tools', 'examples', 'test', 'bench', 'layer']
/** Build output and installed packages, not our source. */
const SKIP = new Set(['node_modules', 'layer/nodejs', 'layer/functions', 'bench/chaos/out'])

const SPECIFIER = /(?:\bfrom\s*|^\s*import\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|\bnew URL\(\s*)['"]([^'"]+)['"]/gm

interface Import {
  /** The importing file, repository-relative with `/`. */
  readonly file: string
  /** The specifier as written. */
  readonly spec: string
  /** A relative specifier resolved against the file, repository-relative; undefined for a bare one. */
  readonly target?: string
}

function sourceFiles(dir: string): string[] {
  const rel = relative(ROOT, dir).split('\\').join('/')
  if (SKIP.has(rel) || rel.endsWith('/node_modules')) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path)
    return /\.(ts|mts|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [relative(ROOT, path).split('\\').join('/')] : []
  })
}

function importsOf(file: string, code: string): Import[] {
  return [...code.matchAll(SPECIFIER)].map((m) => m[1] ?? '').filter(Boolean).map((spec) =>
    spec.startsWith('.') ? { file, spec, target: posix.normalize(posix.join(posix.dirname(file), spec)) } : { file, spec })
}

const top = (path: string): string => path.split('/')[0] ?? ''
const under = (path: string, ...dirs: string[]): boolean => dirs.some((d) => path === d || path.startsWith(`${d}/`))
/** The package's entries: `breakwater` (src/index) and `breakwater/queue` (src/queue). */
const isPublicEntry = (target: string): boolean => /^src\/(index|queue)(\.[jt]s)?$/.test(target)

/** What is wrong with one import, or undefined. */
function violation({ file, spec, target }: Import): string | undefined {
  if (under(file, 'src/core')) {
    if (/^@aws-sdk\/|^@middy\//.test(spec)) return 'src/core imports no AWS SDK and no Middy'
    if (target !== undefined && under(target, 'src/aws', 'src/middlewares', 'src/responders')) {
      return 'src/core imports nothing of src/ above it'
    }
  }
  if (target === undefined || top(file) === top(target)) return undefined
  const from = top(file)
  const to = top(target)
  if (from === 'src') return 'src/ imports only src/'
  if (from === 'examples') {
    return to === 'src' && isPublicEntry(target) ? undefined : 'examples/ import Breakwater only as its entries (src/index, src/queue)'
  }
  if (from === 'tools' && ['test', 'bench', 'layer', 'examples'].includes(to)) {
    return 'tools/ imports none of test/, bench/, layer/, examples/'
  }
  if (['bench', 'layer'].includes(from) && to === 'test') return `${from}/ never imports test/: shared code lives in tools/`
  if (from === 'bench' && to === 'layer') return 'bench/ never imports layer/: shared code lives in tools/'
  if (from === 'layer' && to === 'bench') return 'layer/ never imports bench/: shared code lives in tools/'
  if (from === 'test' && (to === 'bench' || to === 'layer')) {
    // A test of bench/ or layer/ code imports the module under test.
    return under(file, `test/${to}`) ? undefined : `only test/${to}/ imports ${to}/ (the module under test); shared code lives in tools/`
  }
  return undefined
}

describe('layering of the folders', () => {
  const files = FOLDERS.flatMap((folder) => sourceFiles(join(ROOT, folder)))

  it('finds the source files', () => {
    for (const folder of FOLDERS) expect(files.some((f) => top(f) === folder)).toBe(true)
  })

  it('has no import that crosses the layers', () => {
    const problems = files.flatMap((file) => importsOf(file, readFileSync(join(ROOT, file), 'utf8')).flatMap((imp) => {
      const why = violation(imp)
      return why === undefined ? [] : [`${file}: '${imp.spec}': ${why}`]
    }))
    expect(problems).toEqual([])
  })

  it('flags each kind of violation (the checker itself)', () => {
    const bad: Array<[string, string]> = [
      ['bench/demo.ts', '../test/support/events.js'],
      ['layer/invoke.ts', '../test/support/scenario.js'],
      ['layer/build.ts', '../bench/demo.js'],
      ['bench/demo.ts', '../layer/tree.js'],
      ['examples/functions/chat.ts', '../../test/support/events.js'],
      ['examples/chat/chat-handler.ts', '../../src/core/errors.js'],
      ['examples/chat/chat-handler.ts', '../../tools/lambda-context.js'],
      ['test/scenarios/hang.test.ts', '../../bench/support/powertools-sinks.js'],
      ['test/aws/bedrock-calls.test.ts', '../../layer/build.js'],
      ['tools/fake-bedrock/fake-bedrock.ts', '../../test/support/fake-clock.js'],
      ['tools/dynamodb-local/dynamodb.ts', '../../bench/support/local-dynamo.js'],
      ['tools/local-invoke/invoke.ts', '../../layer/build.js'],
      ['src/core/targets.ts', '@aws-sdk/client-bedrock-runtime'],
      ['src/core/targets.ts', '@middy/core'],
      ['src/core/targets.ts', '../aws/clients.js'],
      ['src/core/backoff/deadline.ts', '../../middlewares/backoff.js'],
      ['src/core/targets.ts', '../responders/detect.js'],
      ['src/index.ts', '../tools/lambda-context.js'],
    ]
    const verdict = (file: string, spec: string): string | undefined => violation(importsOf(file, `import x from '${spec}'`)[0] as Import)
    for (const [file, spec] of bad) expect([file, spec, verdict(file, spec)]).toEqual([file, spec, expect.any(String)])
    const good: Array<[string, string]> = [
      ['test/bench/demo.test.ts', '../../bench/demo.js'],
      ['test/layer/template.test.ts', '../../layer/build-examples.js'],
      ['test/scenarios/hang.test.ts', '../../tools/fake-bedrock/fake-bedrock.js'],
      ['bench/demo.ts', '../tools/fake-bedrock/fake-bedrock.js'],
      ['layer/invoke.ts', '../tools/local-invoke/invoke.js'],
      ['examples/chat/chat-handler.ts', '../../src/index.js'],
      ['examples/functions/chat.ts', '../chat/chat-handler.js'],
      ['src/core/invoker/cascade.ts', '../targets.js'],
      ['src/aws/clients.ts', '@aws-sdk/client-bedrock-runtime'],
    ]
    for (const [file, spec] of good) expect([file, spec, verdict(file, spec)]).toEqual([file, spec, undefined])
  })
})

/** Relative imports between source files, a `.js` specifier resolved to the `.ts` file it is compiled from. */
function importGraph(files: readonly string[], read: (file: string) => string): Map<string, string[]> {
  const known = new Set(files)
  const fileOf = (target: string): string | undefined =>
    [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts')].find((t) => known.has(t))
  return new Map(files.map((file) => [file, importsOf(file, read(file)).flatMap(({ target }) => {
    const to = target === undefined ? undefined : fileOf(target)
    return to === undefined ? [] : [to]
  })]))
}

/** The import circles: strongly connected components (Tarjan) of two files or more, or a file importing itself. */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const found: string[][] = []
  const visit = (file: string): void => {
    index.set(file, index.size)
    low.set(file, index.get(file) as number)
    stack.push(file)
    for (const to of graph.get(file) ?? []) {
      if (!index.has(to)) visit(to)
      if (stack.includes(to)) low.set(file, Math.min(low.get(file) as number, low.get(to) as number))
    }
    if (low.get(file) !== index.get(file)) return
    const component = stack.splice(stack.indexOf(file))
    if (component.length > 1 || graph.get(file)?.includes(file)) found.push(component.sort())
  }
  for (const file of graph.keys()) if (!index.has(file)) visit(file)
  return found.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''))
}

describe('import circles', () => {
  const files = FOLDERS.flatMap((folder) => sourceFiles(join(ROOT, folder)))

  it('none, type-only imports included (DESIGN.md: no import circles)', () => {
    const graph = importGraph(files, (file) => readFileSync(join(ROOT, file), 'utf8'))
    expect(circles(graph)).toEqual([])
  })

  it('finds each circle, and only circles (the checker itself)', () => {
    const code: Record<string, string> = {
      'src/core/a.ts': "import { b } from './b.js'",
      'src/core/b.ts': "import type { C } from './c.js'",
      'src/core/c.ts': "import { a } from './a.js'\nimport { d } from './d.js'",
      'src/core/d.ts': "import { gone } from './gone.js'",
      'src/core/e.ts': "export { e } from './e.js'",
      'bench/x.ts': "import { y } from './y.mjs'",
      'bench/y.mts': "import { x } from './x.js'",
    }
    expect(circles(importGraph(Object.keys(code), (file) => code[file] ?? ''))).toEqual([
      ['bench/x.ts', 'bench/y.mts'],
      ['src/core/a.ts', 'src/core/b.ts', 'src/core/c.ts'],
      ['src/core/e.ts'],
    ])
  })
})
