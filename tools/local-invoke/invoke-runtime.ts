/**
 * The "container" of a local invoke: a child process (`node --import tsx`) started by invoke.ts with the
 * function's environment already in place, as the Lambda runtime starts with it. It installs the layer resolve hooks,
 * imports the handler module (the init phase), runs one invocation with lambda-local under the template's timeout,
 * and sends the outcome back over IPC. One process per invoke, so every invoke is a cold start and a handler that
 * runs past its timeout is simply killed with the process.
 *
 * Response streaming: the `awslambda` global is there before the handler loads, as in Lambda (response-stream.ts).
 * A handler it marked streaming (Middy's executionModeStreamifyResponse, or `awslambda.streamifyResponse` by hand)
 * is called as `handler(event, responseStream, context)`, and every byte written is sent to the parent as it is
 * written (`StreamChunk` messages, in order, before the reply).
 */
import { createRequire, register } from 'node:module'
import { pathToFileURL } from 'node:url'
import type { LayerHookData } from './invoke-hooks.js'
import { installAwsLambdaGlobal, isStreamingHandler, runStreamingHandler, type StreamingHandler } from './response-stream.js'

/** What the parent sends. */
export interface RuntimeRequest {
  readonly handlerFile: string
  readonly handlerExport: string
  readonly event: unknown
  readonly timeoutMs: number
  readonly region: string
  readonly verboseLevel: number
  readonly hooks: LayerHookData
  /** Context fields lambda-local does not take from the template (it names the function after the handler export). */
  readonly context: Readonly<Record<ContextField, string>>
}

type ContextField =
  | 'functionName' | 'functionVersion' | 'memoryLimitInMB' | 'invokedFunctionArn' | 'logGroupName' | 'logStreamName'

/** What comes back: lambda-local's result or its `{ errorType, errorMessage, stackTrace }`. */
export type RuntimeReply =
  | { readonly kind: 'result'; readonly result: unknown; readonly report: RuntimeReport; readonly streamed?: boolean }
  | { readonly kind: 'error'; readonly phase: 'init' | 'invoke'; readonly error: LambdaError; readonly report: RuntimeReport }

export interface LambdaError {
  readonly errorType: string
  readonly errorMessage: string
  readonly stackTrace?: readonly string[]
}

/** Bytes a streaming handler wrote, base64, with the response stream's content type at the time. */
export interface StreamChunk {
  readonly kind: 'chunk'
  readonly contentType: string
  readonly data: string
}

export interface RuntimeReport {
  readonly requestId: string
  readonly initMs: number
  readonly durationMs: number
  readonly maxMemoryMb: number
}

interface LambdaLocal {
  execute(options: {
    lambdaFunc: Record<string, unknown>; lambdaHandler: string; event: unknown; timeoutMs: number; region: string
    verboseLevel: number; contextOverwrite?: (ctx: Record<string, unknown> & { awsRequestId: string }) => void
  }): Promise<unknown>
}

const toLambdaError = (e: unknown): LambdaError => {
  if (e instanceof Error) {
    return { errorType: e.name, errorMessage: e.message, stackTrace: e.stack?.split('\n').slice(1).map((l) => l.trim()) }
  }
  if (typeof e === 'object' && e !== null && 'errorMessage' in e) return e as LambdaError
  return { errorType: 'Error', errorMessage: String(e) }
}

/** A streaming handler as lambda-local calls a handler, `(event, context)`: its bytes go to the parent as written. */
const streamingEntry = (handler: StreamingHandler) => async (event: unknown, context: unknown): Promise<undefined> => {
  await runStreamingHandler(handler, event, context, (chunk, contentType) => {
    const message: StreamChunk = { kind: 'chunk', contentType, data: chunk.toString('base64') }
    process.send?.(message)
  })
  return undefined
}

async function run(request: RuntimeRequest): Promise<RuntimeReply> {
  register('./invoke-hooks.ts', { parentURL: import.meta.url, data: request.hooks })
  // Before lambda-local (which defines a buffering `awslambda` of its own where there is none) and the handler.
  installAwsLambdaGlobal()
  const lambdaLocal = createRequire(import.meta.url)('lambda-local') as LambdaLocal
  let requestId = ''
  const report = (initMs: number, startedAt: number): RuntimeReport => ({
    requestId, initMs, durationMs: performance.now() - startedAt, maxMemoryMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })

  const initStart = performance.now()
  let module: Record<string, unknown>
  try {
    module = await import(pathToFileURL(request.handlerFile).href) as Record<string, unknown>
    if (typeof module[request.handlerExport] !== 'function') {
      const message = `${request.handlerFile} does not export a function "${request.handlerExport}"`
      throw Object.assign(new Error(message), { name: 'Runtime.HandlerNotFound' })
    }
  } catch (error) {
    return { kind: 'error', phase: 'init', error: toLambdaError(error), report: report(performance.now() - initStart, performance.now()) }
  }
  const initMs = performance.now() - initStart
  const exported = module[request.handlerExport]
  const streamed = isStreamingHandler(exported)

  const startedAt = performance.now()
  try {
    const lambdaFunc = streamed ? { [request.handlerExport]: streamingEntry(exported) } : module
    const result = await lambdaLocal.execute({
      lambdaFunc, lambdaHandler: request.handlerExport, event: request.event, timeoutMs: request.timeoutMs,
      region: request.region, verboseLevel: request.verboseLevel,
      contextOverwrite: (ctx) => {
        Object.assign(ctx, request.context)
        requestId = ctx.awsRequestId
      },
    })
    return { kind: 'result', result, report: report(initMs, startedAt), streamed }
  } catch (error) {
    return { kind: 'error', phase: 'invoke', error: toLambdaError(error), report: report(initMs, startedAt) }
  }
}

process.once('message', (request: RuntimeRequest) => {
  void run(request).then((reply) => {
    // Exit once the reply is out: open sockets (keep-alive, HTTP/2 sessions) must not keep the "container" alive.
    process.send?.(reply, () => process.exit(0))
  })
})
