/**
 * The ConverseStream fault kinds: what goes wrong once the 200 and its event-stream headers are out. They shape the
 * stream (when events come, where it ends, what the last message is); errors before the headers are the ordinary
 * fault kinds, which apply to `converse-stream` as to `converse`.
 */

/**
 * `slow-first-token`: a complete stream whose first `contentBlockDelta` waits `firstTokenDelayMs` (messageStart goes
 * out with the headers, so the SDK's `send` resolves at once and only the content is late);
 * `paced`: a complete stream with `eventDelayMs` between events;
 * `stall`: `afterEvents` events, then silence with the stream left open until the client aborts;
 * `cut`: `afterEvents` events, then a clean END_STREAM with no `messageStop`;
 * `reset-mid-stream`: `afterEvents` events, then RST_STREAM(INTERNAL_ERROR);
 * `stream-exception`: `afterEvents` events, then one `:message-type: exception` message (`exception`), then the end;
 * `malformed-event`: event number `afterEvents + 1` carries a JSON payload that does not parse; the rest follows;
 * `missing-metadata`: a complete stream up to `messageStop`, without the closing `metadata` event.
 */
export type StreamFaultKind =
  | 'slow-first-token'
  | 'paced'
  | 'stall'
  | 'cut'
  | 'reset-mid-stream'
  | 'stream-exception'
  | 'malformed-event'
  | 'missing-metadata'

/** The `:exception-type` values Bedrock sends inside a ConverseStream (the union members, lower camel case). */
export type StreamExceptionType =
  | 'throttlingException'
  | 'serviceUnavailableException'
  | 'modelStreamErrorException'
  | 'internalServerException'
  | 'validationException'
  | 'modelTimeoutException'

/** The members of a fault rule that shape a stream. Delays may be set on any stream kind (a slow, paced cut...). */
export interface StreamFaultFields {
  /** Waits this long before the first `contentBlockDelta`. Required by `slow-first-token`. */
  readonly firstTokenDelayMs?: number
  /** Waits this long between two events (after the first content event). Required by `paced`. */
  readonly eventDelayMs?: number
  /**
   * How many events go out before the fault, counted from `messageStart` (a normal reply is messageStart,
   * one contentBlockDelta per word, contentBlockStop, messageStop, metadata). Required by `stall`, `cut`,
   * `reset-mid-stream`, `stream-exception`, `malformed-event`. A count past the stream's length acts after its last event.
   */
  readonly afterEvents?: number
  /** For `stream-exception`: which exception. Default `throttlingException`. */
  readonly exception?: StreamExceptionType
}

const STREAM_KINDS: ReadonlySet<string> = new Set<StreamFaultKind>([
  'slow-first-token', 'paced', 'stall', 'cut', 'reset-mid-stream', 'stream-exception', 'malformed-event', 'missing-metadata',
])

const NEEDS_AFTER_EVENTS: ReadonlySet<string> = new Set<StreamFaultKind>([
  'stall', 'cut', 'reset-mid-stream', 'stream-exception', 'malformed-event',
])

/** Stream kinds shape a stream, so they only ever match `converse-stream` calls. */
export const isStreamFault = (kind: string): kind is StreamFaultKind => STREAM_KINDS.has(kind)

const isCount = (n: number | undefined): boolean => n === undefined || (Number.isInteger(n) && n >= 0)
const isDelay = (n: number | undefined): boolean => n === undefined || (Number.isFinite(n) && n >= 0)

export function checkStreamRule(rule: { readonly kind: string } & StreamFaultFields): void {
  const { kind, afterEvents, firstTokenDelayMs, eventDelayMs, exception } = rule
  const shaped = [afterEvents, firstTokenDelayMs, eventDelayMs, exception].some((v) => v !== undefined)
  // `{ kind: 'throttle', afterEvents: 3 }` would silently be a pre-stream throttle: say so instead.
  if (shaped && !isStreamFault(kind)) throw new RangeError(`fake-bedrock: stream fields need a stream kind, not ${kind}`)
  if (!isCount(afterEvents)) throw new RangeError(`fake-bedrock: afterEvents must be a non-negative integer (got ${afterEvents})`)
  if (!isDelay(firstTokenDelayMs) || !isDelay(eventDelayMs)) throw new RangeError('fake-bedrock: stream delays must be >= 0 ms')
  if (NEEDS_AFTER_EVENTS.has(kind) && afterEvents === undefined) throw new RangeError(`fake-bedrock: a ${kind} rule needs afterEvents`)
  if (kind === 'slow-first-token' && firstTokenDelayMs === undefined) {
    throw new RangeError('fake-bedrock: a slow-first-token rule needs firstTokenDelayMs')
  }
  if (kind === 'paced' && eventDelayMs === undefined) throw new RangeError('fake-bedrock: a paced rule needs eventDelayMs')
}
