/**
 * The layer's copy of breakwater, bundled: the compiled dist/ (60-odd ES modules) becomes the package's two entry
 * points and the chunks they share, so a cold start reads and links a handful of files instead of every module.
 *
 *   dist/index.js                  `breakwater`: the middlewares, responders, the Bedrock calls
 *   dist/aws/dynamodb/index.js     `breakwater/dynamodb`: the DynamoDB breaker store
 *   dist/chunks/*.js               code both entries use (errors, breaker types), and what `import()` loads on first
 *                                  use: the DynamoDB store behind `breaker: { tableName }`
 *
 * Every package stays external (`packages: 'external'`): the layer carries them in node_modules, and a dynamic
 * `import('ajv')` / `import('@aws-lambda-powertools/commons')` stays a dynamic import, so it still loads on first use.
 * The entry paths are the npm package's (package.json `exports`), so `breakwater` and `breakwater/dynamodb` resolve
 * the same way from /opt/nodejs/node_modules as from an npm install.
 */
import { buildSync, type Metafile } from 'esbuild'
import { join } from 'node:path'

/** The `import` targets of package.json `exports`, as entry names: `./dist/aws/dynamodb/index.js` → `aws/dynamodb/index`. */
export function entryPoints(exports: Readonly<Record<string, { readonly import: string }>>): string[] {
  return Object.values(exports).map((target) => target.import.replace(/^\.\/dist\//, '').replace(/\.js$/, ''))
}

/**
 * Bundles the `entries` under `fromDir` (the compiled dist/, `.js`; or src/ itself, `.ts`, as the tests do) into
 * `outDir`. Deterministic: same input, same bytes (chunk names are content hashes, comments name paths relative to
 * `fromDir`). Returns esbuild's metafile: what each output imports, statically or by `import()`.
 */
export function bundleBreakwater(fromDir: string, outDir: string, entries: readonly string[], extension: 'js' | 'ts' = 'js'): Metafile {
  const result = buildSync({
    absWorkingDir: fromDir,
    entryPoints: entries.map((entry) => ({ in: join(fromDir, `${entry}.${extension}`), out: entry })),
    outdir: outDir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    // Function and class names stay what the source says (Middy hands hook names to its plugins' profilers), even
    // where two modules' top-level names collide and esbuild renames one of them.
    keepNames: true,
    charset: 'utf8',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  })
  return result.metafile
}
