/**
 * ConverseStream messages as Bedrock puts them on the wire: `application/vnd.amazon.eventstream` frames (prelude,
 * typed headers, payload, CRCs) encoded with the SDK's own codec, so what the fake sends is by construction what the
 * SDK's decoder reads — any difference the client sees comes from the fault, not from a home-made encoding.
 */
import { EventStreamCodec, type MessageHeaders } from '@smithy/core/event-streams'
import { fromUtf8, toUtf8 } from '@smithy/core/serde'
import { ERROR_REPLIES } from './fake-bedrock-faults.js'
import type { StreamExceptionType } from './fake-bedrock-stream-faults.js'

export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream'

export type StreamEventType = 'messageStart' | 'contentBlockDelta' | 'contentBlockStop' | 'messageStop' | 'metadata'

/** One event of a reply; the payload is built when it is sent, so `metadata` can carry the latency so far. */
export interface StreamEvent {
  readonly type: StreamEventType
  readonly payload: () => unknown
}

const codec = new EventStreamCodec(toUtf8, fromUtf8)

const stringHeaders = (values: Record<string, string>): MessageHeaders =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { type: 'string', value }]))

/** An `:message-type: event` message; `json` is the payload text, which the malformed-event fault breaks on purpose. */
export function eventMessage(type: StreamEventType, json: string): Uint8Array {
  const headers = stringHeaders({ ':message-type': 'event', ':event-type': type, ':content-type': 'application/json' })
  return codec.encode({ headers, body: fromUtf8(json) })
}

/** An `:message-type: exception` message: the in-stream form of a Bedrock error, named by `:exception-type`. */
export function exceptionMessage(type: StreamExceptionType, body: Readonly<Record<string, unknown>>): Uint8Array {
  const headers = stringHeaders({ ':message-type': 'exception', ':exception-type': type, ':content-type': 'application/json' })
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(body)) })
}

/** The payload of an event, cut in half: JSON that does not parse, in an otherwise well-formed frame. */
export const malformed = (json: string): string => json.slice(0, Math.max(1, Math.floor(json.length / 2)))

/** Default bodies of the in-stream exceptions: the same messages as the service's non-stream errors. */
export const STREAM_EXCEPTIONS: Readonly<Record<StreamExceptionType, Readonly<Record<string, unknown>>>> = {
  throttlingException: { message: ERROR_REPLIES.throttle.message },
  serviceUnavailableException: { message: ERROR_REPLIES.unavailable.message },
  internalServerException: { message: ERROR_REPLIES.internal.message },
  validationException: { message: ERROR_REPLIES.validation.message },
  modelTimeoutException: { message: ERROR_REPLIES['model-timeout'].message },
  modelStreamErrorException: {
    message: 'The model encountered an error while streaming the response. Try your request again.',
    originalStatusCode: 500,
    originalMessage: 'Internal server error',
  },
}

/** One delta per word (with the whitespace after it), so "tokens" are countable and the text joins back exactly. */
export const deltasOf = (text: string): string[] => (text === '' ? [] : text.split(/(?<=\s)(?=\S)/))

/** Rough token count, ~4 characters a token, as for the Converse reply. */
const tokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4))

/**
 * The events of a normal reply: messageStart, one contentBlockDelta per word, contentBlockStop, messageStop
 * (`stopReason`, default `end_turn`), then metadata with usage, `metrics.latencyMs` and `served` (the tier echo) — unless
 * `withMetadata` is false.
 */
export function replyEvents(
  text: string, inputChars: number, latencyMs: () => number, withMetadata = true, served: Readonly<Record<string, unknown>> = {},
  stopReason = 'end_turn',
): StreamEvent[] {
  const inputTokens = tokens(inputChars)
  const outputTokens = tokens(text.length)
  const events: StreamEvent[] = [
    { type: 'messageStart', payload: () => ({ role: 'assistant' }) },
    ...deltasOf(text).map((part): StreamEvent => ({
      type: 'contentBlockDelta', payload: () => ({ contentBlockIndex: 0, delta: { text: part } }),
    })),
    { type: 'contentBlockStop', payload: () => ({ contentBlockIndex: 0 }) },
    { type: 'messageStop', payload: () => ({ stopReason }) },
  ]
  const usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens }
  if (withMetadata) events.push({ type: 'metadata', payload: () => ({ usage, metrics: { latencyMs: latencyMs() }, ...served }) })
  return events
}
