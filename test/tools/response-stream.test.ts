/**
 * The local `awslambda` global and the response-stream reader of tools/local-invoke: the prelude contract of
 * Lambda's HTTP integration content type (JSON, 8 NUL bytes, body), read across any chunking, and an install that
 * never replaces what the runtime (or the SDK's InvokeStore) put there.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  HTTP_INTEGRATION_CONTENT_TYPE, ResponseStream, awslambdaShim, installAwsLambdaGlobal, isStreamingHandler,
} from '../../tools/local-invoke/response-stream.js'
import { ResponseDecoder, invokeStreaming, type StreamPart } from '../../tools/local-invoke/stream-decoder.js'

const scope = globalThis as { awslambda?: unknown }
const saved = scope.awslambda
afterEach(() => { scope.awslambda = saved })

/** Everything a handler wrote, as the raw bytes Lambda would send, with its content type. */
async function rawBytes(write: (stream: ResponseStream) => void): Promise<{ bytes: Buffer; contentType: string }> {
  const chunks: Buffer[] = []
  let contentType = ''
  const stream = new ResponseStream((chunk, type) => { chunks.push(chunk); contentType = type })
  write(stream)
  await new Promise((resolve) => stream.on('finish', resolve))
  return { bytes: Buffer.concat(chunks), contentType }
}

describe('HttpResponseStream.from', () => {
  it('writes the prelude as JSON and 8 NUL bytes before the first body byte, under the HTTP integration type', async () => {
    const { bytes, contentType } = await rawBytes((s) => {
      awslambdaShim.HttpResponseStream.from(s, { statusCode: 201, headers: { a: 'b' } }).write('hé')
      s.end()
    })
    expect(contentType).toBe(HTTP_INTEGRATION_CONTENT_TYPE)
    expect(bytes).toEqual(Buffer.concat([Buffer.from('{"statusCode":201,"headers":{"a":"b"}}'), Buffer.alloc(8), Buffer.from('hé')]))
  })

  it('a prelude with no body at all is still sent', async () => {
    const { bytes } = await rawBytes((s) => awslambdaShim.HttpResponseStream.from(s, { statusCode: 204 }).end())
    expect(bytes).toEqual(Buffer.concat([Buffer.from('{"statusCode":204}'), Buffer.alloc(8)]))
  })
})

describe('ResponseDecoder', () => {
  const raw = Buffer.concat([Buffer.from('{"statusCode":200,"headers":{"x":"y"}}'), Buffer.alloc(8), Buffer.from('data: 1\n\ndata: 2\n\n')])

  it.each([1, 3, 7, 40, raw.length])('reads the prelude and the body whatever the chunking (%i bytes at a time)', (size) => {
    const decoder = new ResponseDecoder()
    const parts: StreamPart[] = []
    for (let i = 0; i < raw.length; i += size) parts.push(...decoder.push(raw.subarray(i, i + size), HTTP_INTEGRATION_CONTENT_TYPE))
    expect(parts[0]).toEqual({ prelude: { statusCode: 200, headers: { x: 'y' } } })
    expect(parts.slice(1).every((p) => 'body' in p)).toBe(true)
    expect(decoder.result()).toMatchObject({ prelude: { statusCode: 200 }, body: 'data: 1\n\ndata: 2\n\n' })
  })

  it('a stream of another content type is all body, NUL bytes included', () => {
    const decoder = new ResponseDecoder()
    expect(decoder.push(Buffer.from('{"a":1}\0\0'), 'application/octet-stream')).toEqual([{ body: Buffer.from('{"a":1}\0\0') }])
    expect(decoder.result()).toEqual({
      contentType: 'application/octet-stream', prelude: undefined, body: '{"a":1}\0\0', chunks: ['{"a":1}\0\0'],
    })
  })
})

describe('invokeStreaming', () => {
  it('ends a stream the handler left open, and gives back what was written', async () => {
    const handler = awslambdaShim.streamifyResponse(async (_event: unknown, stream: ResponseStream) => {
      stream.setContentType('text/plain')
      stream.write('left open')
    })
    expect(isStreamingHandler(handler)).toBe(true)
    expect(await invokeStreaming(handler, {}, {})).toMatchObject({ contentType: 'text/plain', body: 'left open' })
  })

  it('a handler that throws rejects with its error, after its bytes were seen', async () => {
    const seen: string[] = []
    const failing = async (_event: unknown, stream: ResponseStream): Promise<void> => {
      stream.write('partial')
      throw new RangeError('broke')
    }
    await expect(invokeStreaming(failing, {}, {}, (p) => { if ('body' in p) seen.push(p.body.toString()) })).rejects.toThrow('broke')
    expect(seen).toEqual(['partial'])
  })
})

describe('installAwsLambdaGlobal', () => {
  it('adds the streaming members to an awslambda object already there (the SDK keeps its InvokeStore in it)', () => {
    const store = { InvokeStore: { id: 1 } }
    scope.awslambda = store
    expect(installAwsLambdaGlobal()).toBe(true)
    expect(scope.awslambda).toBe(store)
    expect(store).toMatchObject({ InvokeStore: { id: 1 }, streamifyResponse: awslambdaShim.streamifyResponse })
  })

  it('leaves a runtime that streams alone, and defines the global where there is none', () => {
    const runtime = { streamifyResponse: (h: unknown) => h, HttpResponseStream: {} }
    scope.awslambda = runtime
    expect(installAwsLambdaGlobal()).toBe(false)
    expect(scope.awslambda).toBe(runtime)
    delete scope.awslambda
    expect(installAwsLambdaGlobal()).toBe(true)
    expect(scope.awslambda).toMatchObject({ HttpResponseStream: awslambdaShim.HttpResponseStream })
  })

  it('a plain function is not a streaming handler', () => {
    expect(isStreamingHandler(async () => 'x')).toBe(false)
  })
})
