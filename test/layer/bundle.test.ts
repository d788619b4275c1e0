/**
 * The layer's bundle of breakwater (layer/bundle.ts) keeps the cold start small by what it does not load: the
 * `breakwater` entry statically imports only the Bedrock client (which a function calling Bedrock loads anyway); the
 * DynamoDB store, ajv and Powertools commons are `import()`s, loaded on first use; node:http and node:crypto are not
 * imported at all (src fetches them with process.getBuiltinModule when a reply is shaped or a cache key hashed).
 * Checked on esbuild's metafile of a bundle of src/, the graph and not the clock: no timing is asserted here
 * (`npm run bench:cold-import` prints the numbers).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Metafile } from 'esbuild'
import { bundleBreakwater, entryPoints } from '../../layer/bundle.js'
import { filesUnder } from '../../layer/tree.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const SRC = join(ROOT, 'src')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { import: string }> }

let out: string
let meta: Metafile
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'breakwater-bundle-test-'))
  meta = bundleBreakwater(SRC, out, entryPoints(pkg.exports), 'ts')
})
afterAll(() => rmSync(out, { recursive: true, force: true }))

/** The output file of `rel` (relative to the bundle's directory) in the metafile. */
const outputOf = (rel: string): Metafile['outputs'][string] => {
  const key = Object.keys(meta.outputs).find((k) => resolve(SRC, k) === join(out, rel))
  if (key === undefined) throw new Error(`no output ${rel} in ${Object.keys(meta.outputs).join(', ')}`)
  return meta.outputs[key] as Metafile['outputs'][string]
}

/** What loading `rel` loads: the packages and built-in modules its static imports reach, and its `import()`s. */
function reach(rel: string): { staticPackages: string[]; dynamic: string[] } {
  const seen = new Set<string>()
  const packages = new Set<string>()
  const dynamic = new Set<string>()
  const visit = (key: string): void => {
    if (seen.has(key)) return
    seen.add(key)
    for (const imp of meta.outputs[key]?.imports ?? []) {
      if (imp.kind === 'dynamic-import') dynamic.add(imp.external ? imp.path : `chunk:${imp.path.replace(/.*\/chunks\//, '').replace(/-[A-Z0-9]+\.js$/, '')}`)
      else if (imp.external) packages.add(imp.path)
      else visit(imp.path)
    }
  }
  visit(Object.keys(meta.outputs).find((k) => meta.outputs[k] === outputOf(rel)) as string)
  return { staticPackages: [...packages].sort(), dynamic: [...dynamic].sort() }
}

describe('the layer bundle of breakwater', () => {
  it('has the npm package\'s entry points, where package.json exports point', () => {
    expect(entryPoints(pkg.exports)).toEqual(['index', 'aws/dynamodb/index', 'queue'])
    expect(outputOf('index.js').entryPoint).toBeDefined()
    expect(outputOf('aws/dynamodb/index.js').entryPoint).toBeDefined()
  })

  it('`breakwater` loads only the Bedrock client at import; the DynamoDB store, ajv and Powertools commons on first use', () => {
    const { staticPackages, dynamic } = reach('index.js')
    expect(staticPackages).toEqual(['@aws-sdk/client-bedrock-runtime'])
    expect(dynamic).toEqual(['@aws-lambda-powertools/commons', 'ajv', 'chunk:quota-store', 'chunk:store'])
  })

  it('`breakwater/dynamodb` loads the DynamoDB client, and neither ajv nor the Bedrock client', () => {
    const { staticPackages } = reach('aws/dynamodb/index.js')
    expect(staticPackages).toEqual(['@aws-sdk/client-dynamodb'])
  })

  it('is the same bytes every time, with no absolute path in it', () => {
    const again = mkdtempSync(join(tmpdir(), 'breakwater-bundle-test-'))
    try {
      bundleBreakwater(SRC, again, entryPoints(pkg.exports), 'ts')
      const files = (dir: string): Record<string, string> =>
        Object.fromEntries(filesUnder(dir).map((f) => [f.slice(dir.length), readFileSync(f, 'utf8')]))
      const first = files(out)
      expect(files(again)).toEqual(first)
      for (const text of Object.values(first)) {
        expect(text).not.toContain(ROOT)
        expect(text).not.toContain(out)
      }
    } finally {
      rmSync(again, { recursive: true, force: true })
    }
  })
})
