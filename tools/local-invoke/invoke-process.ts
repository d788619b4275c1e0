/**
 * The process side of a local invoke: the environment Lambda would give the function, and one invocation in a fresh
 * child process (invoke-runtime.ts under tsx) that is killed if it outlives init + timeout.
 */
import { fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { FunctionConfig } from './invoke-template.js'
import type { LambdaError, RuntimeReply, RuntimeReport, RuntimeRequest, StreamChunk } from './invoke-runtime.js'
import { ResponseDecoder, type StreamPart, type StreamedResponse } from './stream-decoder.js'

export const ACCOUNT_ID = '123456789012'
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const RUNTIME = fileURLToPath(new URL('./invoke-runtime.ts', import.meta.url))
/** tsx's loader, by absolute URL: the child runs in the function's CodeUri, which need not see this node_modules. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
/** Lambda gives the init phase 10 s; past init + timeout + this grace the child is killed. */
const INIT_LIMIT_MS = 10_000
const KILL_GRACE_MS = 2_000

/** How one invocation ended. */
export interface ChildOutcome {
  /**
   * The handler's return value; undefined when it threw. For a streaming handler, what the client got: the prelude
   * with the body (`{ statusCode, headers, body }`), or the body alone when it sent no prelude.
   */
  readonly response?: unknown
  /** A streaming handler's response as it arrived (also when it threw midway). */
  readonly stream?: StreamedResponse
  /** What Lambda would report for a handler that threw or timed out (`Runtime.*`, `TimeoutError`, the error's name). */
  readonly error?: LambdaError & { readonly phase: 'init' | 'invoke' }
  /** The function's stdout and stderr, line by line. */
  readonly logs: readonly string[]
  readonly report?: RuntimeReport
}

/**
 * The environment Lambda gives a function, then the template's variables, then the endpoints. Nothing else from this
 * shell leaks in (as in a SAM container), except PATH/HOME and, with real endpoints, the caller's AWS credentials.
 */
export function lambdaEnvironment(
  config: FunctionConfig,
  region: string,
  endpoints: { bedrock: string; dynamodb: string; real: boolean },
  extra: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const pass = (name: string): Record<string, string> => {
    const value = process.env[name]
    return value ? { [name]: value } : {}
  }
  const credentials: Record<string, string> = endpoints.real && process.env.AWS_ACCESS_KEY_ID
    ? { ...pass('AWS_ACCESS_KEY_ID'), ...pass('AWS_SECRET_ACCESS_KEY'), ...pass('AWS_SESSION_TOKEN') }
    : { AWS_ACCESS_KEY_ID: 'AKIDLOCALINVOKE', AWS_SECRET_ACCESS_KEY: 'local-invoke-secret', AWS_SESSION_TOKEN: 'local-invoke-session' }
  const name = functionName(config)
  return {
    ...pass('PATH'), ...pass('HOME'), ...pass('TMPDIR'),
    AWS_REGION: region, AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: name, AWS_LAMBDA_FUNCTION_VERSION: '$LATEST', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`, AWS_LAMBDA_LOG_STREAM_NAME: '$LATEST',
    AWS_EXECUTION_ENV: `AWS_Lambda_${config.runtime}`, LAMBDA_TASK_ROOT: config.codeDir, _HANDLER: config.handler,
    // NODE_PATH is how CommonJS finds /opt/nodejs/node_modules; ES modules get the same through invoke-hooks.ts.
    NODE_PATH: config.layerDirs.map((d) => join(d, 'nodejs', 'node_modules')).join(':'),
    TZ: ':UTC',
    // What `sam local invoke` sets: Powertools Tracer and the X-Ray SDK stand down instead of looking for a daemon.
    AWS_SAM_LOCAL: 'true',
    ...config.environment,
    ...extra,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: endpoints.bedrock,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    ...credentials,
  }
}

const functionName = (config: FunctionConfig): string => `local-${config.logicalId}`

export async function runInChild(
  config: FunctionConfig,
  event: unknown,
  env: Record<string, string>,
  region: string,
  options: { readonly verbose?: boolean; readonly onLog?: (line: string) => void; readonly onStream?: (part: StreamPart) => void },
): Promise<ChildOutcome> {
  const logs: string[] = []
  const log = (line: string): void => { logs.push(line); options.onLog?.(line) }
  const child = fork(RUNTIME, [], { execArgv: ['--import', TSX], env, cwd: config.codeDir, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  for (const stream of [child.stdout, child.stderr]) {
    let pending = ''
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) log(line)
    }).on('end', () => { if (pending) log(pending) })
  }
  const timeoutMs = config.timeoutSeconds * 1000
  const request: RuntimeRequest = {
    handlerFile: config.handlerFile ?? '', handlerExport: config.handlerExport, event, timeoutMs, region,
    context: {
      functionName: functionName(config), functionVersion: '$LATEST', memoryLimitInMB: String(config.memorySize),
      invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${functionName(config)}`,
      logGroupName: `/aws/lambda/${functionName(config)}`, logStreamName: '$LATEST',
    },
    verboseLevel: options.verbose ? 3 : -1,
    hooks: {
      taskRoot: config.codeDir,
      layerModules: config.layerDirs.map((d) => join(d, 'nodejs', 'node_modules')),
      runtimeModules: join(REPO_ROOT, 'node_modules'),
    },
  }
  const killAfterMs = INIT_LIMIT_MS + timeoutMs + KILL_GRACE_MS
  const decoder = new ResponseDecoder()
  const reply = await new Promise<RuntimeReply | LambdaError>((resolveReply) => {
    const killer = setTimeout(() => {
      child.kill('SIGKILL')
      resolveReply({ errorType: 'Runtime.ExitError', errorMessage: `killed: no answer within ${killAfterMs} ms` })
    }, killAfterMs)
    let replied = false
    child.on('message', (m: RuntimeReply | StreamChunk) => {
      if (replied) return // a handler still writing after its timeout: Lambda would have cut it off
      if (m.kind !== 'chunk') {
        replied = true
        clearTimeout(killer)
        return resolveReply(m)
      }
      for (const part of decoder.push(Buffer.from(m.data, 'base64'), m.contentType)) options.onStream?.(part)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(killer)
      const how = signal ?? `code ${code}`
      resolveReply({ errorType: 'Runtime.ExitError', errorMessage: `the runtime process exited (${how}) without a reply` })
    })
    child.send(request)
  })
  // The child exits right after replying; wait for it so its last log lines are in.
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r))
  await new Promise((r) => setImmediate(r))
  const stream = decoder.contentType === undefined ? undefined : decoder.result()
  if (!('kind' in reply)) return { error: { ...reply, phase: 'invoke' }, logs, stream }
  if (reply.kind === 'result') {
    return { response: reply.streamed ? streamedResponse(stream) : reply.result, logs, report: reply.report, stream }
  }
  return { error: { ...reply.error, phase: reply.phase }, logs, report: reply.report, stream }
}

/** What a function URL client got from a streaming handler: the prelude's status and headers with the body. */
function streamedResponse(stream: StreamedResponse | undefined): unknown {
  const body = stream?.body ?? ''
  return stream?.prelude === undefined ? body : { ...stream.prelude, body }
}
