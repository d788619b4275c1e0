/**
 * Reading a Lambda response stream the way a function URL does: when the stream's content type is the HTTP
 * integration type, the bytes up to the first NUL are the JSON prelude (status, headers, cookies), the 8 NUL bytes
 * after it a delimiter, and the rest the body; otherwise it is all body. Chunks may split the prelude anywhere.
 * `invokeStreaming` runs a streaming handler in this process with a response stream read this way.
 */
import {
  HTTP_INTEGRATION_CONTENT_TYPE, PRELUDE_DELIMITER_BYTES, runStreamingHandler, type HttpPrelude, type StreamingHandler,
} from './response-stream.js'

/** One step of a response as it arrives: its prelude (once, first), or a piece of its body. */
export type StreamPart = { readonly prelude: HttpPrelude } | { readonly body: Buffer }

/** A whole streamed response. */
export interface StreamedResponse {
  readonly contentType: string | undefined
  /** The HTTP prelude, when the handler used `HttpResponseStream.from`. */
  readonly prelude: HttpPrelude | undefined
  readonly body: string
  /** The body pieces as they arrived (one per write, for a Middy handler one per SSE event). */
  readonly chunks: readonly string[]
}

export class ResponseDecoder {
  contentType: string | undefined
  prelude: HttpPrelude | undefined
  readonly #chunks: Buffer[] = []
  /** Prelude bytes read so far; undefined once past it (or when there is none). */
  #head: Buffer | undefined

  /** Takes the next bytes; returns what they completed. */
  push(chunk: Buffer, contentType: string): StreamPart[] {
    if (this.contentType === undefined) {
      this.contentType = contentType
      if (contentType === HTTP_INTEGRATION_CONTENT_TYPE) this.#head = Buffer.alloc(0)
    }
    if (this.#head === undefined) return this.#body(chunk)
    const head = Buffer.concat([this.#head, chunk])
    const end = head.indexOf(0)
    if (end < 0 || head.length < end + PRELUDE_DELIMITER_BYTES) {
      this.#head = head
      return []
    }
    this.#head = undefined
    this.prelude = JSON.parse(head.subarray(0, end).toString('utf8')) as HttpPrelude
    return [{ prelude: this.prelude }, ...this.#body(head.subarray(end + PRELUDE_DELIMITER_BYTES))]
  }

  result(): StreamedResponse {
    const chunks = this.#chunks.map((c) => c.toString('utf8'))
    return { contentType: this.contentType, prelude: this.prelude, body: Buffer.concat(this.#chunks).toString('utf8'), chunks }
  }

  #body(chunk: Buffer): StreamPart[] {
    if (chunk.length === 0) return []
    this.#chunks.push(chunk)
    return [{ body: chunk }]
  }
}

/**
 * Runs a streaming handler in this process and reads what it wrote (runStreamingHandler); a handler that throws
 * rejects with its error, after `onPart` has seen what it wrote before.
 */
export async function invokeStreaming(
  handler: StreamingHandler, event: unknown, context: unknown, onPart?: (part: StreamPart) => void,
): Promise<StreamedResponse> {
  const decoder = new ResponseDecoder()
  await runStreamingHandler(handler, event, context, (chunk, contentType) => {
    for (const part of decoder.push(chunk, contentType)) onPart?.(part)
  })
  return decoder.result()
}
