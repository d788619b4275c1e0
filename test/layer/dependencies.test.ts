/**
 * package.json says what src/ needs, no more: `dependencies` are exactly the packages src/ imports at run time
 * (an `import type` is erased; with verbatimModuleSyntax any other import stays); a package only its types use is a
 * peer (Middy, whose types every middleware's signature uses; Powertools Logger and Metrics and @types/aws-lambda,
 * optional: the public .d.ts name them, a user without them never imports them). The layer still carries what the
 * example functions import, at the locked versions (layerDependencies in layer/build.ts).
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { EXAMPLE_IMPORTS, layerDependencies } from '../../layer/build.js'
import { filesUnder } from '../../layer/tree.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
interface Manifest {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> }

/** `@scope/name/sub` → `@scope/name`; the types of `aws-lambda` come from `@types/aws-lambda`. */
function packageOf(specifier: string): string {
  const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')
  return name === 'aws-lambda' ? '@types/aws-lambda' : name
}

/** The bare packages src/ imports, split into those that load at run time and those only its types use. */
function importsOfSrc(): { runtime: Set<string>; typeOnly: Set<string> } {
  const runtime = new Set<string>()
  const types = new Set<string>()
  for (const file of filesUnder(join(ROOT, 'src')).filter((f) => f.endsWith('.ts'))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const note = (specifier: ts.Node | undefined, typeOnly: boolean): void => {
      if (!specifier || !ts.isStringLiteral(specifier) || /^(\.|node:)/.test(specifier.text)) return
      ;(typeOnly ? types : runtime).add(packageOf(specifier.text))
    }
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node)) note(node.moduleSpecifier, node.importClause?.isTypeOnly === true)
      else if (ts.isExportDeclaration(node)) note(node.moduleSpecifier, node.isTypeOnly)
      else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) note(node.arguments[0], false)
      else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) note(node.argument.literal, true)
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return { runtime, typeOnly: new Set([...types].filter((t) => !runtime.has(t))) }
}

describe('package.json dependencies', () => {
  const { runtime, typeOnly } = importsOfSrc()

  it('lists as dependencies exactly the packages src/ loads at run time', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual([...runtime].sort())
  })

  it('has a package only src/\'s types use as a dependency or a peer; Middy is a required peer, the rest optional', () => {
    const known = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)])
    expect([...typeOnly].filter((name) => !known.has(name))).toEqual([])
    const required = Object.keys(pkg.peerDependencies).filter((name) => pkg.peerDependenciesMeta[name]?.optional !== true)
    expect(required).toEqual(['@middy/core'])
  })

  it('installs every peer for the tests, at a version the peer range accepts', () => {
    for (const [name, range] of Object.entries(pkg.peerDependencies)) {
      const major = Number(range.replace(/^\^/, '').split('.')[0])
      expect([name, Number(pkg.devDependencies[name]?.split('.')[0])]).toEqual([name, major])
    }
  })

  it('layer: breakwater\'s dependencies, Middy and every package the examples import, at the locked versions', () => {
    const layer = layerDependencies()
    const wanted = new Set([...Object.keys(pkg.dependencies), '@middy/core', ...EXAMPLE_IMPORTS.map(packageOf)])
    expect(Object.keys(layer).sort()).toEqual([...wanted].sort())
    for (const [name, version] of Object.entries(layer)) {
      expect([name, version]).toEqual([name, lock.packages[`node_modules/${name}`]?.version])
    }
  })
})
