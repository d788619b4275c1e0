/**
 * Module resolve hooks (`node:module` register) that give a local function the module lookup of a Lambda function
 * with layers. In Lambda a layer is unpacked under `/opt`, and a bare import from the function (`import 'breakwater'`)
 * is found in, in this order:
 *   1. the function's own `node_modules` (LAMBDA_TASK_ROOT, i.e. the CodeUri);
 *   2. the layers' `nodejs/node_modules` (`/opt/nodejs/node_modules`; a later layer wins over an earlier one);
 *   3. the AWS SDK for JavaScript v3 that the nodejs22.x runtime ships (`@aws-sdk/*` only).
 * NODE_PATH does this for `require`, but ES modules ignore NODE_PATH, hence a hook. Code inside a layer resolves its
 * own imports by walking up from where it sits (so inside the layer), with the runtime's SDK as the only way out.
 *
 * Anything else fails as it would in Lambda, with a message that says where it looked: a layer that forgot a
 * dependency shows up here, not after a deploy. In particular the repository's own package name (`breakwater`) does
 * not resolve to `dist/` by self-reference: it comes from the layer or not at all.
 */
import { existsSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { join, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export interface LayerHookData {
  /** LAMBDA_TASK_ROOT: the function's CodeUri. */
  readonly taskRoot: string
  /** Each layer's `nodejs/node_modules`, in the function's layer order. */
  readonly layerModules: readonly string[]
  /** Where the runtime-provided `@aws-sdk/*` packages come from (this repository's node_modules). */
  readonly runtimeModules: string
}

interface ResolveContext { parentURL?: string; conditions?: readonly string[]; importAttributes?: Record<string, string> }
interface ResolveResult { url: string; format?: string | null; shortCircuit?: boolean }
type NextResolve = (specifier: string, context: ResolveContext) => ResolveResult | Promise<ResolveResult>

let data: LayerHookData = { taskRoot: '/nonexistent', layerModules: [], runtimeModules: '/nonexistent' }

export function initialize(d: LayerHookData): void {
  data = d
}

const inside = (file: string, dir: string): boolean => file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep)
const isBare = (s: string): boolean => !/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:|#)/i.test(s)
const pathOf = (url: string): string | undefined => (url.startsWith('file:') ? fileURLToPath(url) : undefined)

/** Resolves `specifier` as if imported from a file directly inside `dir`, and keeps the answer only if it is in `dir`. */
async function resolveIn(dir: string, specifier: string, context: ResolveContext, next: NextResolve): Promise<ResolveResult | undefined> {
  if (!existsSync(dir)) return undefined
  try {
    const found = await next(specifier, { ...context, parentURL: pathToFileURL(join(dir, '__lambda_local_import__.js')).href })
    const file = pathOf(found.url)
    return file !== undefined && inside(file, dir) ? found : undefined
  } catch {
    return undefined
  }
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<ResolveResult> {
  const parent = context.parentURL === undefined ? undefined : pathOf(context.parentURL)
  if (parent === undefined || !isBare(specifier) || isBuiltin(specifier)) return next(specifier, context)
  const layer = data.layerModules.find((dir) => inside(parent, dir))
  const fromFunction = layer === undefined && inside(parent, data.taskRoot) && !parent.includes(`${sep}node_modules${sep}`)
  if (layer === undefined && !fromFunction) return next(specifier, context) // the invoke harness, tsx, the runtime SDK

  const searched: string[] = []
  if (fromFunction) {
    const own = join(data.taskRoot, 'node_modules')
    searched.push(own)
    const found = await resolveIn(own, specifier, context, next)
    if (found) return found
    for (const dir of [...data.layerModules].reverse()) {
      searched.push(dir)
      const fromLayer = await resolveIn(dir, specifier, context, next)
      if (fromLayer) return fromLayer
    }
  } else if (layer !== undefined) {
    searched.push(layer)
    try {
      const found = await next(specifier, context)
      const file = pathOf(found.url)
      if (file === undefined || inside(file, layer)) return found
    } catch {
      // not in the layer: maybe the runtime's SDK, else the error below
    }
  }
  if (specifier.startsWith('@aws-sdk/')) {
    searched.push(`${data.runtimeModules} (the runtime's AWS SDK)`)
    const sdk = await resolveIn(data.runtimeModules, specifier, context, next)
    if (sdk) return sdk
  }
  const error = new Error(`Cannot find package '${specifier}' imported from ${parent}: not in ${searched.join(', ')}. ` +
    'In Lambda it would fail the same way: add it to the layer (npm run build:layer) or to the function.') as Error & { code: string }
  error.code = 'ERR_MODULE_NOT_FOUND'
  throw error
}
