/**
 * Local invoke of streaming handlers (tools/local-invoke): a handler built with `awslambda.streamifyResponse` or
 * Middy's executionModeStreamifyResponse runs in the child "container" against the local `awslambda` global, and its
 * response reaches the caller piece by piece as it is written — the prelude (status, headers) first. Stand-in
 * functions in a temporary template, with a layer carrying `breakwater` and `@middy/core`; the template's own
 * ChatStreamFunction replays in test/layer/replay.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { jest } from '@jest/globals'
import { invokeFunction, type InvokeOptions, type InvokeResult } from '../../tools/local-invoke/invoke.js'
import { main } from '../../tools/local-invoke/invoke-cli.js'
import type { StreamPart } from '../../tools/local-invoke/stream-decoder.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const dir = mkdtempSync(join(tmpdir(), 'breakwater-invoke-stream-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const file = (path: string, text: string): void => {
  mkdirSync(join(dir, path, '..'), { recursive: true })
  writeFileSync(join(dir, path), text)
}
const reexport = (path: string): string => `export * from ${JSON.stringify(path)}\n`
file('package.json', '{ "type": "module" }\n')
file('layer/nodejs/node_modules/breakwater/package.json', '{ "name": "breakwater", "type": "module", "exports": "./index.js" }\n')
file('layer/nodejs/node_modules/breakwater/index.js', reexport(join(ROOT, 'src/index.ts')))
file('layer/nodejs/node_modules/@middy/core/package.json', JSON.stringify({
  name: '@middy/core', type: 'module', exports: { '.': './index.js', './StreamifyResponse': './streamify.js' },
}))
const MIDDY = join(ROOT, 'node_modules/@middy/core')
file('layer/nodejs/node_modules/@middy/core/index.js', `export { default } from ${JSON.stringify(join(MIDDY, 'index.js'))}\n`)
file('layer/nodejs/node_modules/@middy/core/streamify.js', reexport(join(MIDDY, 'executionModeStreamifyResponse.js')))
file('fn/stream.mjs', `
import middy from '@middy/core'
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse'
import { AllTargetsFailedError, gracefulDegradation, sseResponse } from 'breakwater'
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
export const raw = awslambda.streamifyResponse(async (_event, stream) => {
  stream.setContentType('text/plain')
  stream.write('one\\n')
  await sleep(400)
  stream.write('two\\n')
  stream.end()
})
export const midway = awslambda.streamifyResponse(async (_event, stream) => {
  stream.write('partial')
  throw new RangeError('broke midway')
})
export const stalls = awslambda.streamifyResponse(async (_event, stream) => {
  stream.write('first')
  await sleep(5000)
})
const served = { route: 'default', model: 'm', region: 'us-east-1', attempts: 1, degraded: false, degradations: [], timeToFirstTokenMs: 7 }
const reply = () => ({
  served,
  async *[Symbol.asyncIterator]() {
    for (const text of ['Hel', 'lo']) { await sleep(100); yield { contentBlockDelta: { delta: { text } } } }
    yield { messageStop: { stopReason: 'end_turn' } }
  },
  final: () => ({ text: 'Hello', stopReason: 'end_turn', usage: undefined, served }),
})
export const sse = middy({ executionMode: executionModeStreamifyResponse }).handler(async () => sseResponse(reply()))
export const down = middy({ executionMode: executionModeStreamifyResponse }).use(gracefulDegradation()).handler(async () => {
  throw new AllTargetsFailedError('all failed', { attempts: [], lastClass: 'unavailable', retryAfterSeconds: 30 })
})
`)
const fn = (id: string, handler: string, extra = ''): string =>
  `  ${id}:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn/\n      Handler: ${handler}\n      Layers: [!Ref StandInLayer]\n${extra}`
file('template.yaml', `Transform: AWS::Serverless-2016-10-31
Globals:
  Function: { Runtime: nodejs22.x, Timeout: 6 }
Resources:
  StandInLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: { ContentUri: layer/ }
${fn('RawStream', 'stream.raw')}
${fn('ThrowsMidway', 'stream.midway')}
${fn('Stalls', 'stream.stalls', '      Timeout: 1\n')}
${fn('SseStream', 'stream.sse')}
${fn('DownStream', 'stream.down')}
`)

const FUNCTION_URL = join(ROOT, 'events/function-url.json')
const invoke = (functionId: string, extra: Partial<InvokeOptions> = {}): Promise<InvokeResult> =>
  invokeFunction({ functionId, event: FUNCTION_URL, template: join(dir, 'template.yaml'), ...extra })

describe('local invoke of a streaming handler', () => {
  it('hands over each piece of the body as it is written, not when the handler returns', async () => {
    const arrivals: { part: string; at: number }[] = []
    const onStream = (part: StreamPart): void => {
      arrivals.push({ part: 'body' in part ? part.body.toString() : 'prelude', at: Date.now() })
    }
    const result = await invoke('RawStream', { onStream })
    expect(result.error).toBeUndefined()
    expect(arrivals.map((a) => a.part)).toEqual(['one\n', 'two\n'])
    expect((arrivals[1]?.at ?? 0) - (arrivals[0]?.at ?? 0)).toBeGreaterThanOrEqual(300)
    expect(result.stream).toMatchObject({ contentType: 'text/plain', prelude: undefined, body: 'one\ntwo\n' })
    expect(result.response).toBe('one\ntwo\n')
  })

  it('a Middy handler in executionModeStreamifyResponse: the prelude first, then the SSE events one by one', async () => {
    const parts: StreamPart[] = []
    const result = await invoke('SseStream', { onStream: (p) => parts.push(p) })
    const headers = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }
    expect(parts[0]).toEqual({ prelude: { statusCode: 200, headers } })
    const firstLines = parts.slice(1).map((p) => ('body' in p ? p.body.toString().split('\n')[0] : 'prelude'))
    expect(firstLines).toEqual(['event: token', 'event: token', 'event: done'])
    expect(result.response).toMatchObject({ statusCode: 200, body: expect.stringContaining('data: {"text":"lo"}') })
  })

  it('gracefulDegradation\'s reply of a streamified handler arrives as its prelude and JSON body', async () => {
    const result = await invoke('DownStream')
    expect(result.response).toEqual({
      statusCode: 503, headers: { 'content-type': 'application/json', 'retry-after': '30' },
      body: expect.stringContaining('"retryAfterSeconds":30'),
    })
  })

  it('a handler that throws midway is an invoke error, with what it had streamed', async () => {
    const result = await invoke('ThrowsMidway')
    expect(result.error).toMatchObject({ errorType: 'RangeError', errorMessage: 'broke midway', phase: 'invoke' })
    expect(result.stream?.body).toBe('partial')
  })

  it('a stream still open at the template Timeout ends in Task timed out, as in Lambda', async () => {
    const result = await invoke('Stalls')
    expect(result.error).toMatchObject({ errorType: 'TimeoutError', errorMessage: 'Task timed out after 1.00 seconds' })
    expect(result.stream?.body).toBe('first')
  })

  it('the CLI prints the prelude as a status line and headers, then the body as it came; the REPORT on stderr', async () => {
    const out: string[] = []
    const err: string[] = []
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0)
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0)
    try {
      expect(await main(['SseStream', FUNCTION_URL, '--template', join(dir, 'template.yaml')])).toBe(0)
    } finally {
      stdout.mockRestore()
      stderr.mockRestore()
    }
    expect(out[0]).toBe('HTTP 200\ncontent-type: text/event-stream; charset=utf-8\ncache-control: no-cache\n\n')
    expect(out.slice(1).join('')).toMatch(/^event: token\ndata: \{"text":"Hel"\}\n\n.*event: done\n/s)
    expect(out.length).toBeGreaterThanOrEqual(4)
    expect(err.join('')).toMatch(/STREAM 3 body chunks, \d+ bytes\nREPORT RequestId/)
  })
})
