/**
 * What the template tests share: template.yaml loaded, a function's effective properties (Globals merged in), the
 * environment variables the code behind a function reads, and the IAM statements a function is given.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, posix, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { asArray, isObject, loadTemplate, type Json, type JsonObject } from '../../tools/local-invoke/cfn-yaml.js'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const template = loadTemplate(join(ROOT, 'template.yaml'))
export const resources = template.Resources as JsonObject
export const parameters = template.Parameters as JsonObject
const globals = ((template.Globals as JsonObject).Function ?? {}) as JsonObject

export const ofType = (type: string): [string, JsonObject][] =>
  Object.entries(resources).filter(([, r]) => isObject(r) && r.Type === type) as [string, JsonObject][]
export const props = (r: JsonObject): JsonObject => (r.Properties ?? {}) as JsonObject
export const functions = ofType('AWS::Serverless::Function')
export const resource = (id: string): JsonObject => resources[id] as JsonObject
/** The Default of the parameter a `{ Ref }` names. */
export const defaultOf = (v: Json | undefined): Json | undefined => (parameters[String((v as JsonObject).Ref)] as JsonObject).Default

const variablesOf = (p: JsonObject): JsonObject => ((p.Environment as JsonObject | undefined)?.Variables ?? {}) as JsonObject
/** Names of the environment variables Globals.Function sets on every function. */
export const GLOBAL_VARIABLES: readonly string[] = Object.keys(variablesOf(globals))

/** Globals.Function merged under the function's own properties (environment variables merged one level down). */
export function effective(fn: JsonObject): JsonObject {
  const own = props(fn)
  return { ...globals, ...own, Environment: { Variables: { ...variablesOf(globals), ...variablesOf(own) } } }
}

/** The function's own environment variables (those it sets beyond Globals). */
export const ownVariables = (fn: JsonObject): string[] => Object.keys(variablesOf(props(fn)))

/** The first event of `type` (`SQS`, `HttpApi`) of a function, its Properties. */
export function eventOf(fn: JsonObject, type: string): JsonObject {
  const found = Object.values((props(fn).Events ?? {}) as JsonObject).find((e) => isObject(e) && e.Type === type)
  if (!isObject(found)) throw new Error(`no ${type} event`)
  return props(found)
}

export function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, dir, f))
}

/** Variable names read through process.env.X, process.env['X'] or the examples' required(env, 'X'). */
export function envVarsReadBy(files: readonly string[]): Set<string> {
  const names = new Set<string>()
  for (const file of files) {
    const code = readFileSync(file, 'utf8')
    for (const m of code.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)|process\.env\[['"]([A-Z][A-Z0-9_]*)['"]\]|required\([^,]+,\s*'([A-Z][A-Z0-9_]*)'\)/g)) {
      names.add(m[1] ?? m[2] ?? m[3] ?? '')
    }
  }
  return names
}

/** Set by Lambda itself in every function. */
export const LAMBDA_PROVIDED = /^(AWS_REGION|AWS_DEFAULT_REGION|AWS_LAMBDA_[A-Z_]+|AWS_EXECUTION_ENV|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|_HANDLER|_X_AMZN_TRACE_ID|TZ)$/

/**
 * The examples/ modules a function's handler loads: its module and every relative import it reaches inside examples/
 * (src/ is the layer's breakwater, which every function loads; the template test scans it for every function).
 */
export function handlerModules(fn: JsonObject): string[] {
  const [, modulePath] = /^(.+)\.[\w$]+$/.exec(String(props(fn).Handler)) ?? []
  const seen = new Set<string>()
  const visit = (rel: string): void => {
    if (seen.has(rel) || !rel.startsWith('examples/')) return
    seen.add(rel)
    const code = readFileSync(join(ROOT, rel), 'utf8')
    for (const m of code.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*'(\.[^']+)\.js'/gm)) {
      visit(posix.normalize(posix.join(posix.dirname(rel), `${m[1] ?? ''}.ts`)))
    }
  }
  visit(`${modulePath ?? ''}.ts`)
  return [...seen].map((rel) => join(ROOT, rel))
}

/** Bare packages the given modules import (value imports; `import type` is erased and loads nothing). */
export function packagesImportedBy(files: readonly string[]): Set<string> {
  const names = new Set<string>()
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^\s*import\s+(?!type\s)[^'"]*?from\s*'([^.'][^']*)'/gm)) names.add(m[1] ?? '')
  }
  return names
}

/** The statements of the managed policies (`{ Ref }` to an AWS::IAM::ManagedPolicy) a function's Policies name. */
export function statementsOf(fn: JsonObject, except: readonly string[] = []): JsonObject[] {
  return asArray(props(fn).Policies).flatMap((p) => {
    const id = isObject(p) ? String(p.Ref) : ''
    if (except.includes(id)) return []
    const policy = props(resource(id))
    return asArray((policy.PolicyDocument as JsonObject).Statement).filter(isObject)
  })
}

/**
 * A statement resource as `<logical id>` (`!GetAtt X.Arn`) or `<logical id><suffix>` (`!Sub ${X.Arn}/results/*`),
 * so grants can be compared with the calls the code makes.
 */
export function resourceName(r: Json): string {
  if (isObject(r) && Array.isArray(r['Fn::GetAtt'])) return String(r['Fn::GetAtt'][0])
  if (isObject(r) && typeof r['Fn::Sub'] === 'string') return r['Fn::Sub'].replace(/^\$\{(\w+)\.Arn\}/, '$1')
  return JSON.stringify(r)
}

/** `action on resource` for every action × resource of the statements (all Allow). */
export function grants(statements: readonly JsonObject[]): string[] {
  return statements.flatMap((s) => {
    if (s.Effect !== 'Allow') throw new Error(`a ${String(s.Effect)} statement among a function's grants`)
    return asArray(s.Action).flatMap((a) => asArray(s.Resource).map((r) => `${String(a)} on ${resourceName(r)}`))
  }).sort()
}
