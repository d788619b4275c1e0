/**
 * sseResponse over hand-made replies: the SSE encoding, which events are sent, and what a failure while streaming
 * becomes — the polite last event, the log line (names only unless logErrorMessages), the metrics.
 */
import { describe, expect, it, jest } from '@jest/globals'
import { AllTargetsFailedError, BadRequestError, BreakwaterConfigError } from '../../src/core/errors.js'
import { StreamInterruptedError } from '../../src/core/stream/errors.js'
import type { StreamEventLike } from '../../src/core/stream/events.js'
import type { StreamFinal, StreamRestartEvent, StreamServed } from '../../src/core/stream/reply.js'
import { sseResponse, type SseResponseOptions, type StreamedReplyLike } from '../../src/responders/sse.js'

const PROMPT = 'my card number is 4111 1111 1111 1111'
const SERVED: StreamServed = {
  route: 'default', model: 'm-1', region: 'us-east-1', attempts: 1, degraded: false, degradations: [],
  timeToFirstTokenMs: 420,
}
const delta = (text: string): StreamEventLike => ({ contentBlockDelta: { delta: { text } } })

/** A reply that yields `events`, then throws `error` if given. */
function replyOf(events: (StreamEventLike | StreamRestartEvent)[], error?: unknown): StreamedReplyLike {
  let ended = false
  return {
    served: SERVED,
    async *[Symbol.asyncIterator]() {
      for (const event of events) yield event
      if (error !== undefined) throw error
      ended = true
    },
    final: (): StreamFinal => {
      if (!ended) throw new Error('not ended')
      return { text: 'x', stopReason: 'max_tokens', usage: undefined, served: SERVED }
    },
  }
}

async function read(reply: StreamedReplyLike, options?: SseResponseOptions): Promise<string> {
  let body = ''
  for await (const chunk of sseResponse(reply, options).body) body += String(chunk)
  return body
}

const fakeLogger = () => ({ error: jest.fn<(...args: unknown[]) => void>(), warn: jest.fn<(...args: unknown[]) => void>() })
/** A Metrics stand-in: what was added stays stored until published. */
function fakeMetrics(stored = false) {
  const state = { stored }
  const addMetric = jest.fn(() => { state.stored = true })
  const publishStoredMetrics = jest.fn(() => { state.stored = false })
  const metrics = { addMetric, publishStoredMetrics, hasStoredMetrics: () => state.stored } as unknown as SseResponseOptions['metrics']
  return { metrics, addMetric, publishStoredMetrics }
}
const interrupted = (cause: unknown): StreamInterruptedError =>
  new StreamInterruptedError('cut', `Sure: ${PROMPT}`, { route: 'default', model: 'm-1', region: 'us-east-1' }, { cause })

describe('sseResponse', () => {
  it('is a 200 of text/event-stream, extra headers added; only non-empty text deltas become token events', async () => {
    const reply = replyOf([{ messageStart: {} }, delta('Hi'), delta(''), { contentBlockStop: {} }, { messageStop: {} }])
    const response = sseResponse(reply, { headers: { 'access-control-allow-origin': 'https://shop.example' } })
    expect([response.statusCode, response.headers]).toEqual([200, {
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'access-control-allow-origin': 'https://shop.example',
    }])
    let body = ''
    for await (const chunk of response.body) body += String(chunk)
    expect(body).toBe('event: token\ndata: {"text":"Hi"}\n\n' +
      'event: done\ndata: {"stopReason":"max_tokens","served":{"model":"m-1","region":"us-east-1","degraded":false,"timeToFirstTokenMs":420}}\n\n')
  })

  it('a line break in the text stays inside the one data line', async () => {
    const body = await read(replyOf([delta('a\n\nevent: done\r\nb')]), {})
    expect(body.split('\n\n')[0]).toBe('event: token\ndata: {"text":"a\\n\\nevent: done\\r\\nb"}')
  })

  it('a restart event carries its reason and how much text to discard', async () => {
    const body = await read(replyOf([delta('Hel'), { breakwaterRestart: { reason: 'stall', discardedText: 3 } }]), {})
    expect(body).toContain('event: restart\ndata: {"reason":"stall","discardedText":3}\n\n')
  })

  it('an interruption ends the stream with the configured polite message, logged by name, never with the text', async () => {
    const logger = fakeLogger()
    const cause = Object.assign(new Error(`Input echoes: ${PROMPT}`), { name: 'ThrottlingException' })
    const body = await read(replyOf([delta('Sure: ')], interrupted(cause)), { logger, message: 'Busy, retry soon.', requestId: 'r-9' })
    expect(body).toBe('event: token\ndata: {"text":"Sure: "}\n\n' +
      'event: error\ndata: {"message":"Busy, retry soon.","retryAfterSeconds":5,"requestId":"r-9"}\n\n')
    expect(logger.error).toHaveBeenCalledTimes(1)
    const [message, keys] = logger.error.mock.calls[0] ?? []
    expect(message).toBe('breakwater ended a stream with an error event')
    expect(keys).toMatchObject({
      errorType: 'StreamInterruptedError', statusCode: 503, source: 'stream', error: { cause: { name: 'ThrottlingException' } },
    })
    expect(JSON.stringify(keys)).not.toContain('4111')
  })

  it('logErrorMessages adds the upstream messages to the log line, never to the body', async () => {
    const logger = fakeLogger()
    const cause = new Error(`Input echoes: ${PROMPT}`)
    const body = await read(replyOf([delta('x')], interrupted(cause)), { logger, logErrorMessages: true })
    expect(JSON.stringify(logger.error.mock.calls[0]?.[1])).toContain('4111')
    expect(body).not.toContain('4111')
  })

  const allFailed = new AllTargetsFailedError('all failed', { attempts: [], lastClass: 'throttled', retryAfterSeconds: undefined })
  const thrown: [string, Error, string, 'error' | 'warn'][] = [
    ['a bug', new TypeError(`cannot read ${PROMPT}`), 'An internal error occurred.', 'error'],
    ['an escaped AllTargetsFailedError', allFailed, 'The assistant is busy right now. Please try again in a moment.', 'error'],
    ['a caller fault', new BadRequestError('That conversation is too long'), 'That conversation is too long', 'warn'],
  ]
  it.each(thrown)('%s thrown while iterating: gracefulDegradation\'s wording and log level', async (_name, error, text, level) => {
    const logger = fakeLogger()
    const body = await read(replyOf([delta('x')], error), { logger })
    const last = body.split('\n\n').filter(Boolean).at(-1) ?? ''
    expect(last.startsWith('event: error\ndata: ')).toBe(true)
    expect(JSON.parse(last.slice('event: error\ndata: '.length))).toMatchObject({ message: text, requestId: 'unknown' })
    expect(body).not.toMatch(/4111|TypeError|\n\s+at /)
    expect(logger[level]).toHaveBeenCalledTimes(1)
  })

  it('metrics: an error event counts DegradedResponses; what the stream added is published once it ends', async () => {
    const failed = fakeMetrics()
    await read(replyOf([delta('x')], interrupted(new Error('reset'))), { metrics: failed.metrics })
    expect(failed.addMetric).toHaveBeenCalledWith('DegradedResponses', 'Count', 1)
    expect(failed.publishStoredMetrics).toHaveBeenCalledTimes(1)

    const streamedWithMetrics = fakeMetrics(true) // e.g. StreamInterruptions added by a restart
    await read(replyOf([delta('x')]), { metrics: streamedWithMetrics.metrics })
    expect(streamedWithMetrics.publishStoredMetrics).toHaveBeenCalledTimes(1)

    const nothingStored = fakeMetrics(false)
    await read(replyOf([delta('x')]), { metrics: nothingStored.metrics })
    expect([nothingStored.addMetric, nothingStored.publishStoredMetrics].map((f) => f.mock.calls.length)).toEqual([0, 0])
  })

  it.each([
    ['retryAfterSeconds', { retryAfterSeconds: -1 }],
    ['message', { message: '' }],
    ['metrics', { metrics: { addMetric: () => undefined } }],
    ['headers.x', { headers: { x: 1 } }],
  ])('a bad %s is a BreakwaterConfigError naming it', (field, options) => {
    const call = (): unknown => sseResponse(replyOf([]), options as unknown as SseResponseOptions)
    expect(call).toThrow(BreakwaterConfigError)
    expect(call).toThrow(expect.objectContaining({ field }) as unknown as Error)
  })
})
