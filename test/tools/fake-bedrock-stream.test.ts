/**
 * The fake Bedrock's ConverseStream, driven by the real SDK (`ConverseStreamCommand`, maxAttempts 1): what the SDK's
 * iterator yields for each stream fault, and how it ends. Several of these endings are silent — a cut stream, or an
 * aborted one, ends the iterator as if the answer were complete — which is exactly what Breakwater has to guard.
 */
import {
  ConverseCommand, ConverseStreamCommand, InternalServerException, ModelStreamErrorException, ServiceUnavailableException,
  ThrottlingException, ValidationException,
} from '@aws-sdk/client-bedrock-runtime'
import type { StreamExceptionType } from '../../tools/fake-bedrock/fake-bedrock.js'
import { askStream, completeEvents, drain, STREAM_MODEL } from '../support/converse-stream.js'
import { useFakeBedrock } from '../support/fake-bedrock-fixture.js'

const bed = useFakeBedrock()
/** "echo: one two three four [model@us-east-1]": 6 words, so 6 deltas and 10 events in a complete stream. */
const PROMPT = 'one two three four'
const WORDS = 6

describe('a healthy ConverseStream', () => {
  it('streams the Converse reply text as one delta per word, then messageStop and metadata', async () => {
    const converse = await bed.east.send(new ConverseCommand(askStream(PROMPT)))
    const got = await drain(bed.east, askStream(PROMPT))
    expect(got.error).toBeUndefined()
    expect(got.events).toEqual(completeEvents(WORDS))
    expect(got.text).toBe(converse.output?.message?.content?.[0]?.text)
    expect(got.raw[0]?.messageStart).toEqual({ role: 'assistant' })
    expect(got.raw.at(-2)?.messageStop).toMatchObject({ stopReason: 'end_turn' })
    const metadata = got.raw.at(-1)?.metadata
    expect(metadata?.usage).toEqual(converse.usage)
    expect(metadata?.metrics?.latencyMs).toEqual(expect.any(Number))
    const call = bed.server.calls[1]
    expect(call).toMatchObject({ operation: 'converse-stream', model: STREAM_MODEL, region: 'us-east-1', status: 200, outcome: 'ok' })
    expect(call?.events).toEqual(completeEvents(WORDS))
    expect(call?.endedAt).toBeGreaterThanOrEqual(call?.startedAt ?? Infinity)
    expect(bed.server.calls[0]?.events).toEqual([])
  })

  it('a consumer that breaks out of the loop leaves the HTTP/2 stream open; only the abort signal closes it', async () => {
    bed.server.plan([{ kind: 'stall', afterEvents: 3 }])
    const controller = new AbortController()
    const out = await bed.east.send(new ConverseStreamCommand(askStream(PROMPT)), { abortSignal: controller.signal })
    for await (const event of out.stream ?? []) if (event.contentBlockDelta) break
    await new Promise((r) => setTimeout(r, 50))
    expect(bed.server.calls[0]).toMatchObject({ outcome: 'pending', endedAt: undefined })
    controller.abort()
    await until(() => bed.server.calls[0]?.endedAt !== undefined)
    expect(bed.server.calls[0]).toMatchObject({ outcome: 'aborted', events: ['messageStart', 'contentBlockDelta', 'contentBlockDelta'] })
  })
})

describe('stream faults, as the SDK iterator sees them', () => {
  it('cut: the iterator ends without an error and without messageStop — a truncated answer that looks complete', async () => {
    bed.server.plan([{ kind: 'cut', afterEvents: 3 }])
    const got = await drain(bed.east, askStream(PROMPT))
    expect(got.error).toBeUndefined()
    expect(got.events).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta'])
    expect(got.text).toBe('echo: one ')
    expect(bed.server.calls[0]).toMatchObject({ outcome: 'cut', fault: 'cut', events: got.events })
  })

  it('reset-mid-stream: the events so far, then a network error (ERR_HTTP2_STREAM_ERROR), not a service exception', async () => {
    bed.server.plan([{ kind: 'reset-mid-stream', afterEvents: 4 }])
    const got = await drain(bed.east, askStream(PROMPT))
    expect(got.sent).toBe(true)
    expect(got.events).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockDelta'])
    expect(got.error).toBeDefined()
    // Plain Node: `code` ERR_HTTP2_STREAM_ERROR, name `Error`. Under Jest's VM modules the error may come from another
    // realm and reach us wrapped ("AWS SDK error wrapper for Error [ERR_HTTP2_STREAM_ERROR]..."): accept either spelling.
    expect(String(got.error?.code ?? got.error?.message)).toMatch(/ERR_HTTP2_STREAM_ERROR/)
    expect(got.error?.message).toMatch(/NGHTTP2_INTERNAL_ERROR/)
    expect(got.error).not.toHaveProperty('$fault')
    expect(bed.server.calls[0]).toMatchObject({ outcome: 'reset', fault: 'reset-mid-stream' })
  })

  const modeled: [StreamExceptionType, new (...args: never[]) => Error, 'client' | 'server'][] = [
    ['throttlingException', ThrottlingException, 'client'],
    ['serviceUnavailableException', ServiceUnavailableException, 'server'],
    ['modelStreamErrorException', ModelStreamErrorException, 'client'],
    ['internalServerException', InternalServerException, 'server'],
    ['validationException', ValidationException, 'client'],
  ]
  it.each(modeled)('stream-exception %s: the events so far, then the SDK throws %p', async (exception, ErrorClass, fault) => {
    bed.server.plan([{ kind: 'stream-exception', afterEvents: 2, exception }])
    const got = await drain(bed.east, askStream(PROMPT))
    expect(got.events).toEqual(['messageStart', 'contentBlockDelta'])
    expect(got.error).toBeInstanceOf(ErrorClass)
    expect(got.error?.name).toBe(ErrorClass.name)
    expect(got.error?.$fault).toBe(fault)
    // Thrown from inside the stream, after the 200: no HTTP status or request id to classify by.
    expect(got.error?.$metadata).toBeUndefined()
    expect(bed.server.calls[0]).toMatchObject({ outcome: 'error', errorType: exception, status: 200 })
    expect(bed.server.calls[0]?.events).toEqual(['messageStart', 'contentBlockDelta', exception])
  })

  it('modelStreamErrorException carries originalStatusCode and originalMessage; a rule message replaces its message', async () => {
    bed.server.plan([{ kind: 'stream-exception', afterEvents: 1, exception: 'modelStreamErrorException', message: 'boom' }])
    const got = await drain(bed.east, askStream(PROMPT))
    expect(got.error).toMatchObject({ message: 'boom', originalStatusCode: 500, originalMessage: 'Internal server error' })
  })

  it('stream-exception modelTimeoutException: outside this SDK\'s ConverseStreamOutput union, a plain Error in lower case', async () => {
    bed.server.plan([{ kind: 'stream-exception', afterEvents: 2, exception: 'modelTimeoutException' }])
    const got = await drain(bed.east, askStream(PROMPT))
    expect(got.events).toEqual(['messageStart', 'contentBlockDelta'])
    expect(got.error?.name).toBe('modelTimeoutException')
    expect(got.error?.constructor.name).toBe('Error')
    expect(JSON.parse(got.error?.message ?? '')).toEqual({ message: expect.stringMatching(/timed out/) })
  })

  it('stream-exception defaults to throttlingException', async () => {
    bed.server.plan([{ kind: 'stream-exception', afterEvents: 0 }])
    const got = await drain(bed.east, askStream(PROMPT))
    // The SDK reads the first event before `send` resolves, so an exception first rejects `send` itself.
    expect(got.sent).toBe(false)
    expect(got.error).toBeInstanceOf(ThrottlingException)
  })

  it('malformed-event: the events before it, then a SyntaxError from the SDK\'s JSON parse', async () => {
    bed.server.plan([{ kind: 'malformed-event', afterEvents: 2 }])
    const got = await drain(bed.east, askStream(PROMPT))
    expect(got.events).toEqual(['messageStart', 'contentBlockDelta'])
    expect(got.error?.name).toBe('SyntaxError')
    expect(got.error).not.toHaveProperty('$fault')
    expect(bed.server.calls[0]?.events.slice(0, 3)).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta(malformed)'])
  })

  it('missing-metadata: messageStop, then the end — no metadata, no error', async () => {
    bed.server.plan([{ kind: 'missing-metadata' }])
    const got = await drain(bed.east, askStream(PROMPT))
    expect(got.error).toBeUndefined()
    expect(got.events).toEqual(completeEvents(WORDS).slice(0, -1))
    expect(bed.server.calls[0]?.events).toEqual(got.events)
  })
})

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(check()).toBe(true)
}
