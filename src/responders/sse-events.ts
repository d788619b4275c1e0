/**
 * The server-sent events a streamed answer is written as (https://html.spec.whatwg.org/multipage/server-sent-events.html):
 * one `event:` line naming what happened and one `data:` line of JSON, then a blank line. JSON.stringify escapes
 * every line break, so a `data` value is always one line, whatever the model wrote.
 *
 * ```
 * event: token      data: {"text":"Hel"}                          a piece of the answer, in order
 * event: restart    data: {"reason":"cut","discardedText":3}      discard what was shown: the answer starts again
 * event: done       data: {"stopReason":"end_turn","served":{…}}  the answer is whole (`served.intervened`: a policy's message)
 * event: error      data: {"message":"…","requestId":"…"}         the answer broke off and could not be finished
 * ```
 */
import type { StreamServed } from '../core/stream/reply.js'

/** The names of the events, one per line of the table above. */
export type SseEventName = 'token' | 'restart' | 'done' | 'error'

/** What `event: done` says about where the answer came from: no route names, no attempts, nothing of the prompt. */
export interface SseServed {
  readonly model: string
  readonly region: string
  readonly degraded: StreamServed['degraded']
  readonly timeToFirstTokenMs: number
  /** Set when a guardrail or the content filter replaced the answer: the tokens sent were its message. */
  readonly intervened?: StreamServed['intervened']
}

/** The `data` of each event. */
export interface SseEventData {
  readonly token: { readonly text: string }
  readonly restart: { readonly reason: string; readonly discardedText: number }
  readonly done: { readonly stopReason: string | undefined; readonly served: SseServed }
  readonly error: { readonly message: string; readonly retryAfterSeconds?: number; readonly requestId: string }
}

/** One event, ready to write: `event: <name>\ndata: <json>\n\n`. */
export function sseEvent<N extends SseEventName>(name: N, data: SseEventData[N]): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`
}

/** The public part of `served`, for `event: done`. */
export function servedSummary(served: StreamServed): SseServed {
  const summary = { model: served.model, region: served.region, degraded: served.degraded, timeToFirstTokenMs: served.timeToFirstTokenMs }
  return served.intervened === undefined ? summary : { ...summary, intervened: served.intervened }
}
