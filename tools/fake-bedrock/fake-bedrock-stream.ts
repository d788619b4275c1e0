/**
 * The ConverseStream reply of the fake Bedrock: a 200 with `application/vnd.amazon.eventstream`, then the reply's
 * events one by one — paced, delayed, cut, reset, stalled or broken as the call's fault rule says.
 */
import type { ServerHttp2Stream } from 'node:http2'
import type { FaultRule } from './fake-bedrock-faults.js'
import {
  EVENT_STREAM_CONTENT_TYPE, STREAM_EXCEPTIONS, eventMessage, exceptionMessage, malformed, replyEvents, type StreamEvent,
} from './fake-bedrock-events.js'
import { rejectionOf, requestIdOf, sendError, type MutableCall } from './fake-bedrock-replies.js'
import type { Schedule } from './fake-bedrock-timers.js'
import { converseEcho, type TierEcho } from './fake-bedrock-tiers.js'

/** What the stream writer needs from the server besides the call. */
export interface StreamReply {
  /** The assistant text, the same a Converse call would get; asked for only once the request passed the checks. */
  readonly text: () => string
  /** Characters of input, for `usage`. */
  readonly inputChars: number
  /** Milliseconds since the call arrived, for `metrics.latencyMs`. */
  readonly elapsedMs: () => number
  readonly schedule: Schedule
  /** The tier and latency mode that serve the call, echoed in the `metadata` event. */
  readonly served?: TierEcho | undefined
}

/** Kinds that end the stream early, after `afterEvents` events. */
const ENDINGS: ReadonlySet<string> = new Set(['stall', 'cut', 'reset-mid-stream', 'stream-exception'])

/** A ConverseStream reply, unless the request fails the checks the real service makes before streaming. */
export function sendStream(stream: ServerHttp2Stream, call: MutableCall, rule: FaultRule | undefined, reply: StreamReply): void {
  const rejection = rejectionOf(call)
  if (rejection) return sendError(stream, call, rejection)
  call.status = 200
  stream.respond({ ':status': 200, 'content-type': EVENT_STREAM_CONTENT_TYPE, 'x-amzn-requestid': requestIdOf(call) })
  const events = replyEvents(
    reply.text(), reply.inputChars, reply.elapsedMs, rule?.kind !== 'missing-metadata', converseEcho(reply.served), rule?.stopReason,
  )
  const after = rule?.afterEvents ?? Number.POSITIVE_INFINITY
  const endAt = rule && ENDINGS.has(rule.kind) ? Math.min(after, events.length) : Number.POSITIVE_INFINITY
  const malformedAt = rule?.kind === 'malformed-event' ? Math.min(after, events.length - 1) : -1
  const firstDelta = events.findIndex((e) => e.type === 'contentBlockDelta')
  const waitBefore = (i: number): number => {
    if (i === 0) return 0
    if (i === firstDelta && rule?.firstTokenDelayMs !== undefined) return rule.firstTokenDelayMs
    return rule?.eventDelayMs ?? 0
  }
  const step = (i: number): void => {
    if (stream.destroyed || stream.closed) return
    if (i >= endAt) return endEarly(stream, call, rule)
    if (i >= events.length) return finish(stream, call, 'ok')
    write(stream, call, events[i] as StreamEvent, i === malformedAt)
    const wait = waitBefore(i + 1)
    if (wait > 0) reply.schedule(wait, () => step(i + 1))
    else step(i + 1)
  }
  step(0)
}

function write(stream: ServerHttp2Stream, call: MutableCall, event: StreamEvent, broken: boolean): void {
  const json = JSON.stringify(event.payload())
  stream.write(eventMessage(event.type, broken ? malformed(json) : json))
  call.events.push(broken ? `${event.type}(malformed)` : event.type)
}

function finish(stream: ServerHttp2Stream, call: MutableCall, outcome: 'ok' | 'cut' | 'error'): void {
  call.outcome = outcome
  stream.end()
}

function endEarly(stream: ServerHttp2Stream, call: MutableCall, rule: FaultRule | undefined): void {
  switch (rule?.kind) {
    case 'stall':
      return // Nothing more, and no end: the client's abort (or the server's stop) closes the stream.
    case 'cut':
      return finish(stream, call, 'cut')
    case 'reset-mid-stream':
      call.outcome = 'reset'
      // Once the events written so far have left, so the client reads them before the RST_STREAM. `destroy`, not
      // `close(code)`: close() ends the writable side first, the client gets END_STREAM — a clean end — and the
      // RST_STREAM that follows lands on a closed stream (the client sees rstCode 0).
      return void stream.write(new Uint8Array(0), () => stream.destroy(new Error('fake-bedrock: reset mid-stream')))
    case 'stream-exception': {
      const type = rule.exception ?? 'throttlingException'
      const body = rule.message === undefined ? STREAM_EXCEPTIONS[type] : { ...STREAM_EXCEPTIONS[type], message: rule.message }
      stream.write(exceptionMessage(type, body))
      call.events.push(type)
      call.errorType = type
      return finish(stream, call, 'error')
    }
    default:
      return finish(stream, call, 'ok')
  }
}
