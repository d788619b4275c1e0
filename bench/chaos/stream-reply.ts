/**
 * The streamed answer of the stream scenarios, and how a delivered one is judged. The fake sends this text as one
 * `contentBlockDelta` per word, and `messageStop` only after its last word; so a delivered answer that does not end
 * with {@link STREAM_END} came from a stream that did not reach `messageStop` (cut, stalled, aborted): truncated.
 */
import type { ReplyContext } from '../../tools/fake-bedrock/fake-bedrock.js'

export const STREAM_END = '(end of answer)'

const BODY = 'Your order left our warehouse this morning and ships with the standard carrier. The delivery address can be ' +
  'changed until the parcel is handed over, from the order page or by replying to this message.'

/** About 40 words: long enough that a cut after a few events is visibly mid-answer. */
export const streamReply = (c: ReplyContext): string => `echo: ${c.lastUserText} [${c.model}@${c.region}] ${BODY} ${STREAM_END}`

const count = (text: string, part: string): number => text.split(part).length - 1

/**
 * Whole: one answer from its start to its end. A consumer that kept a restarted stream's partial text in front of the
 * new answer (it ends well, but starts twice) is caught too.
 */
export const isComplete = (text: string): boolean =>
  text.startsWith('echo: ') && text.endsWith(STREAM_END) && count(text, 'echo: ') === 1 && count(text, STREAM_END) === 1

/** What a streaming handler returns besides the answer: its time to first token (from the invocation's start), ms. */
export interface StreamedAnswer {
  readonly reply: string
  readonly model: string
  readonly region: string
  readonly degraded: unknown
  readonly ttftMs: number | undefined
}

/** A streaming handler's 200, shaped like the sample handler's HTTP reply, with `ttftMs`. */
export const streamedOk = (answer: StreamedAnswer): { statusCode: 200; headers: Record<string, string>; body: string } =>
  ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) })
