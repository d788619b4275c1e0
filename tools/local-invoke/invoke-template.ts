/**
 * Reads an AWS SAM template the way `sam local invoke` needs it: intrinsic functions resolved the way SAM local
 * resolves them (a resource's `Ref` is its logical ID, parameters take their defaults), and one function's settings
 * with `Globals.Function` merged in.
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { INTRINSICS, isObject, loadTemplate, type Json, type JsonObject } from './cfn-yaml.js'

export interface Template {
  readonly path: string
  readonly body: JsonObject
}

/** Parses a SAM / CloudFormation template, short tags included, into plain JSON with long-form intrinsics. */
export function readTemplate(path: string): Template {
  const body = loadTemplate(path) as Json
  if (!isObject(body) || !isObject(body.Resources)) throw new Error(`${path}: not a CloudFormation template (no Resources)`)
  return { path, body }
}

export { isObject }

export interface ResolveContext {
  readonly region: string
  readonly accountId: string
  readonly stackName: string
  /** Parameter values that win over the template's defaults (`--parameter-overrides`). */
  readonly parameters?: Readonly<Record<string, string>>
}

/** What `Fn::ImportValue` and other values that only exist in a deployed account become locally. */
const unresolved = (what: string): string => `<unresolved ${what}>`

/**
 * Evaluates the intrinsic functions of a template value as SAM local does: `Ref` of a resource is its logical ID,
 * `Fn::GetAtt` of an `Arn` is an ARN made of it, `AWS::NoValue` removes the key.
 */
export function resolveValue(template: Template, value: Json, ctx: ResolveContext): Json | undefined {
  const t = template.body
  const resolve = (v: Json): Json | undefined => resolveValue(template, v, ctx)
  const ref = (name: string): Json | undefined => {
    const pseudo: Record<string, string> = {
      'AWS::Region': ctx.region, 'AWS::AccountId': ctx.accountId, 'AWS::StackName': ctx.stackName,
      'AWS::StackId': `arn:aws:cloudformation:${ctx.region}:${ctx.accountId}:stack/${ctx.stackName}/local`,
      'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com',
    }
    if (name === 'AWS::NoValue') return undefined
    if (name in pseudo) return pseudo[name]
    const parameter = isObject(t.Parameters) ? t.Parameters[name] : undefined
    if (isObject(parameter)) {
      const value = ctx.parameters?.[name] ?? String(parameter.Default ?? unresolved(`parameter ${name}`))
      // A CommaDelimitedList or List<...> parameter is a list wherever it is referenced.
      return /^(CommaDelimitedList|List<.+>)$/.test(String(parameter.Type)) ? value.split(',') : value
    }
    return name // a resource: SAM local uses its logical ID (a DynamoDB table gets created under that name)
  }
  const getAtt = (resource: string, attribute: string): string => {
    const type = isObject(t.Resources) && isObject(t.Resources[resource]) ? String(t.Resources[resource].Type) : ''
    if (attribute !== 'Arn') return unresolved(`${resource}.${attribute}`)
    if (type === 'AWS::DynamoDB::Table') return `arn:aws:dynamodb:${ctx.region}:${ctx.accountId}:table/${resource}`
    if (type.endsWith('::Queue')) return `arn:aws:sqs:${ctx.region}:${ctx.accountId}:${resource}`
    return `arn:aws:local:${ctx.region}:${ctx.accountId}:${resource}`
  }
  if (Array.isArray(value)) return value.map(resolve).filter((v): v is Json => v !== undefined)
  if (!isObject(value)) return value
  const keys = Object.keys(value)
  const [fn] = keys
  if (keys.length === 1 && fn !== undefined && INTRINSICS.includes(fn)) {
    const arg = value[fn] as Json
    const list = (): Json[] => (Array.isArray(arg) ? arg : [arg])
    const str = (v: Json | undefined): string => (typeof v === 'string' ? v : JSON.stringify(v))
    switch (fn) {
      case 'Ref': return ref(String(arg))
      case 'Fn::GetAtt': { const [r, a] = list().map((x) => String(resolve(x))); return getAtt(r ?? '', a ?? '') }
      case 'Fn::Sub': {
        const [text, vars] = list()
        const local = isObject(vars) ? vars : {}
        return String(text).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name.startsWith('!')) return `\${${name.slice(1)}}`
          if (name in local) return str(resolve(local[name] as Json))
          const dot = name.indexOf('.')
          return dot > 0 ? getAtt(name.slice(0, dot), name.slice(dot + 1)) : str(ref(name) ?? '')
        })
      }
      case 'Fn::Join': { const [sep, items] = list(); return (resolve(items ?? []) as Json[]).map(str).join(String(sep)) }
      case 'Fn::Select': { const [i, items] = list(); return (resolve(items ?? []) as Json[])[Number(resolve(i ?? 0))] ?? null }
      case 'Fn::Split': { const [sep, s] = list(); return str(resolve(s ?? '')).split(String(sep)) }
      case 'Fn::If': {
        const [name, yes, no] = list()
        const picked = condition(template, String(name), ctx) ? yes : no
        return picked === undefined ? null : resolve(picked)
      }
      case 'Fn::Equals': { const [a, b] = list().map(resolve); return JSON.stringify(a) === JSON.stringify(b) }
      case 'Fn::Not': return !truthy(resolve(list()[0] ?? false))
      case 'Fn::And': return list().every((c) => truthy(resolve(c)))
      case 'Fn::Or': return list().some((c) => truthy(resolve(c)))
      case 'Fn::Contains': {
        const [items, v] = list().map(resolve)
        return Array.isArray(items) && items.some((x) => JSON.stringify(x) === JSON.stringify(v))
      }
      case 'Condition': return condition(template, String(arg), ctx)
      case 'Fn::FindInMap': {
        const [map, top, second] = list().map((x) => String(resolve(x)))
        const mappings = isObject(t.Mappings) ? t.Mappings as Record<string, Record<string, Record<string, Json>>> : undefined
        const found = mappings?.[map ?? '']?.[top ?? '']?.[second ?? '']
        return found ?? unresolved(`FindInMap ${map}.${top}.${second}`)
      }
      case 'Fn::ImportValue': return unresolved(`ImportValue ${str(resolve(arg))}`)
      default: return unresolved(fn)
    }
  }
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(value)) {
    const r = resolve(v)
    if (r !== undefined) out[k] = r
  }
  return out
}

const truthy = (v: Json | undefined): boolean => v === true || v === 'true'

function condition(template: Template, name: string, ctx: ResolveContext): boolean {
  const conditions = isObject(template.body.Conditions) ? template.body.Conditions : {}
  if (!(name in conditions)) throw new Error(`${template.path}: no condition named ${name}`)
  return truthy(resolveValue(template, conditions[name] as Json, ctx))
}

/** A function as `sam local invoke` runs it: Globals merged, intrinsics resolved, paths absolute. */
export interface FunctionConfig {
  readonly logicalId: string
  /** `file.export` as in the template. */
  readonly handler: string
  /**
   * The file the handler lives in (CodeUri + the handler's path, `.js` / `.mjs` / `.cjs` / `.ts`, or an esbuild entry
   * point); undefined when none exists yet (the function is not built).
   */
  readonly handlerFile: string | undefined
  /** Where the handler was looked for. */
  readonly handlerCandidates: readonly string[]
  readonly handlerExport: string
  /** CodeUri as an absolute directory: LAMBDA_TASK_ROOT. */
  readonly codeDir: string
  readonly runtime: string
  readonly timeoutSeconds: number
  readonly memorySize: number
  readonly environment: Readonly<Record<string, string>>
  /** Directories of the layers defined in this template (ContentUri), in the function's order. */
  readonly layerDirs: readonly string[]
  /** Layers that are ARNs of other stacks or accounts: not available locally. */
  readonly externalLayers: readonly string[]
  /** DynamoDB tables of the template (name → key schema), so a local emulator can hold them. */
  readonly tables: readonly TableSpec[]
}

export interface TableSpec {
  readonly name: string
  readonly attributes: readonly { AttributeName: string; AttributeType: string }[]
  readonly keys: readonly { AttributeName: string; KeyType: string }[]
}

const HANDLER_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts']

export function functionConfig(template: Template, logicalId: string, ctx: ResolveContext): FunctionConfig {
  const resources = template.body.Resources as JsonObject
  const raw = resources[logicalId]
  if (!isObject(raw) || raw.Type !== 'AWS::Serverless::Function') {
    const known = functionIds(template).join(', ') || 'none'
    throw new Error(`${template.path}: no AWS::Serverless::Function "${logicalId}" (functions: ${known})`)
  }
  const globals = isObject(template.body.Globals) && isObject(template.body.Globals.Function) ? template.body.Globals.Function : {}
  const own = isObject(raw.Properties) ? raw.Properties : {}
  const g = resolveValue(template, globals, ctx) as JsonObject
  const p = resolveValue(template, own, ctx) as JsonObject
  const pick = (key: string): Json | undefined => p[key] ?? g[key]
  const vars = (o: JsonObject): JsonObject => (isObject(o.Environment) && isObject(o.Environment.Variables) ? o.Environment.Variables : {})
  const environment = Object.fromEntries(
    Object.entries({ ...vars(g), ...vars(p) }).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  )

  const root = dirname(template.path)
  const handler = String(pick('Handler') ?? '')
  const codeDir = resolve(root, String(pick('CodeUri') ?? '.'))
  const dot = handler.lastIndexOf('.')
  if (dot <= 0) throw new Error(`${logicalId}: Handler "${handler}" is not "file.export"`)
  const handlerExport = handler.slice(dot + 1)
  const meta = isObject(raw.Metadata) && isObject(raw.Metadata.BuildProperties) ? raw.Metadata.BuildProperties : {}
  const entryPoints = Array.isArray(meta.EntryPoints) ? meta.EntryPoints.map(String) : []
  const candidates = [
    ...HANDLER_EXTENSIONS.map((ext) => resolve(codeDir, handler.slice(0, dot) + ext)),
    ...entryPoints.map((e) => resolve(codeDir, e)),
  ]
  const handlerFile = candidates.find((f) => existsSync(f))

  const layerDirs: string[] = []
  const externalLayers: string[] = []
  const layerRefs = [...(Array.isArray(globals.Layers) ? globals.Layers : []), ...(Array.isArray(own.Layers) ? own.Layers : [])]
  for (const layer of layerRefs) {
    const id = isObject(layer) && typeof layer.Ref === 'string' ? layer.Ref : undefined
    const res = id === undefined ? undefined : resources[id]
    if (isObject(res) && res.Type === 'AWS::Serverless::LayerVersion' && isObject(res.Properties)) {
      layerDirs.push(resolve(root, String(resolveValue(template, res.Properties.ContentUri as Json, ctx))))
    } else {
      externalLayers.push(String(resolveValue(template, layer, ctx)))
    }
  }

  return {
    logicalId, handler, handlerFile, handlerCandidates: candidates, handlerExport, codeDir, layerDirs, externalLayers, environment,
    runtime: String(pick('Runtime') ?? 'nodejs22.x'),
    timeoutSeconds: Number(pick('Timeout') ?? 3),
    memorySize: Number(pick('MemorySize') ?? 128),
    tables: tablesOf(template, ctx),
  }
}

function tablesOf(template: Template, ctx: ResolveContext): TableSpec[] {
  const resources = template.body.Resources as JsonObject
  const specs: TableSpec[] = []
  for (const [id, res] of Object.entries(resources)) {
    if (!isObject(res) || res.Type !== 'AWS::DynamoDB::Table' || !isObject(res.Properties)) continue
    const props = resolveValue(template, res.Properties, ctx) as JsonObject
    specs.push({
      name: typeof props.TableName === 'string' ? props.TableName : id,
      attributes: (props.AttributeDefinitions ?? []) as unknown as TableSpec['attributes'],
      keys: (props.KeySchema ?? []) as unknown as TableSpec['keys'],
    })
  }
  return specs
}

/** Logical IDs of the template's `AWS::Serverless::Function`s. */
export function functionIds(template: Template): string[] {
  const resources = template.body.Resources as JsonObject
  return Object.keys(resources)
    .filter((id) => isObject(resources[id]) && (resources[id] as JsonObject).Type === 'AWS::Serverless::Function')
}
