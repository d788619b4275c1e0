/**
 * Lambda response streaming outside Lambda. In Lambda the Node.js runtime defines a global `awslambda` before the
 * handler module loads: `streamifyResponse(handler)` marks a handler as streaming (the runtime then calls it as
 * `handler(event, responseStream, context)`), and `HttpResponseStream.from(stream, prelude)` makes the stream's
 * first bytes the HTTP prelude — `{ statusCode, headers, cookies }` as JSON, then 8 NUL bytes — with the content type
 * `application/vnd.awslambda.http-integration-response`, which function URLs turn into the status line and headers.
 * Middy's `executionModeStreamifyResponse` calls both at module load. This is the same contract, for local invoke
 * and for tests: installed only where `awslambda` has no `streamifyResponse` yet (in Lambda the runtime's stays).
 */
import { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'

/** How the runtime recognises a streaming handler (the symbol the Lambda runtime interface client uses). */
export const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming')
const STREAM_RESPONSE = 'response'
/** The content type of a stream that starts with an HTTP prelude. */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response'
/** The prelude ends with this many NUL bytes (JSON never holds a raw NUL). */
export const PRELUDE_DELIMITER_BYTES = 8

/** Receives the response bytes in order, each with the stream's content type at the time. */
export type ResponseSink = (chunk: Buffer, contentType: string) => void

/** The stream a streaming handler writes its response to. Every byte goes to the sink as soon as it is written. */
export class ResponseStream extends Writable {
  contentType = 'application/octet-stream'
  /** Set by `HttpResponseStream.from`: writes the prelude before the first byte of the body. */
  _onBeforeFirstWrite: ((write: (chunk: string | Uint8Array) => void) => void) | undefined
  #started = false

  constructor(private readonly sink: ResponseSink) {
    super()
  }

  setContentType(contentType: string): void {
    this.contentType = contentType
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#start()
    if (chunk.length > 0) this.sink(chunk, this.contentType)
    callback()
  }

  override _final(callback: (error?: Error | null) => void): void {
    // A prelude with no body at all (`from(...)` then `end()`) is still sent.
    this.#start()
    callback()
  }

  #start(): void {
    if (this.#started) return
    this.#started = true
    this._onBeforeFirstWrite?.((chunk) => this.sink(Buffer.from(chunk), this.contentType))
  }
}

/** The prelude `HttpResponseStream.from` takes. */
export interface HttpPrelude {
  readonly statusCode?: number
  readonly headers?: Readonly<Record<string, string>>
  readonly cookies?: readonly string[]
}

export type StreamingHandler = (event: unknown, responseStream: ResponseStream, context: unknown) => unknown

/** The global's shape. */
export interface AwsLambdaGlobal {
  streamifyResponse<H extends object>(handler: H, options?: { readonly highWaterMark?: number }): H
  readonly HttpResponseStream: { from(stream: ResponseStream, prelude: HttpPrelude): ResponseStream }
}

export const awslambdaShim: AwsLambdaGlobal = {
  streamifyResponse(handler) {
    Object.defineProperty(handler, HANDLER_STREAMING, { value: STREAM_RESPONSE, configurable: true })
    return handler
  },
  HttpResponseStream: {
    from(stream, prelude) {
      stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE)
      const json = JSON.stringify(prelude)
      stream._onBeforeFirstWrite = (write) => {
        write(json)
        write(new Uint8Array(PRELUDE_DELIMITER_BYTES))
      }
      return stream
    },
  },
}

/**
 * Gives `globalThis.awslambda` the streaming members unless it has them (in Lambda, or installed before). Only
 * those: the AWS SDK and Powertools keep an `awslambda` object of their own (its InvokeStore) where there is none,
 * so an object may be there already, and it stays. True when it installed them.
 */
export function installAwsLambdaGlobal(): boolean {
  const scope = globalThis as { awslambda?: unknown }
  const existing = scope.awslambda as Partial<AwsLambdaGlobal> | undefined
  if (typeof existing?.streamifyResponse === 'function') return false
  const members = { streamifyResponse: awslambdaShim.streamifyResponse, HttpResponseStream: awslambdaShim.HttpResponseStream }
  if (typeof existing === 'object' && existing !== null) Object.assign(existing, members)
  else scope.awslambda = members
  return true
}

/** A handler `streamifyResponse` marked. */
export function isStreamingHandler(handler: unknown): handler is StreamingHandler {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING] === STREAM_RESPONSE
}

/**
 * One invocation of a streaming handler, as the runtime makes it: a fresh response stream whose bytes go to `sink`
 * as they are written, ended here if the handler settles without ending it. Rejects with the handler's error.
 */
export async function runStreamingHandler(handler: StreamingHandler, event: unknown, context: unknown, sink: ResponseSink): Promise<void> {
  const stream = new ResponseStream(sink)
  await handler(event, stream, context)
  if (!stream.writableEnded) stream.end()
  await finished(stream)
}
