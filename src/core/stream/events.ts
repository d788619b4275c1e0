/**
 * ConverseStream events, read structurally (core imports no SDK types): which event starts the content, which ends
 * the message, and what a finished stream told us.
 */

/** The parts of a `ConverseStreamOutput` event the engine reads. Other members (exceptions) pass through untouched. */
export interface StreamEventLike {
  readonly messageStart?: unknown
  readonly contentBlockStart?: unknown
  readonly contentBlockDelta?: { readonly delta?: { readonly text?: string | undefined } | undefined } | undefined
  readonly contentBlockStop?: unknown
  readonly messageStop?: { readonly stopReason?: string | undefined } | undefined
  readonly metadata?: StreamMetadataLike | undefined
}

/**
 * The stream's last event: usage, and the service tier and latency mode that served (as Converse's reply has them:
 * `serviceTier: { type }`, `performanceConfig: { latency }`), read by invoker/tiers.ts.
 */
export interface StreamMetadataLike {
  readonly usage?: { readonly inputTokens?: number | undefined; readonly outputTokens?: number | undefined } | undefined
  readonly serviceTier?: unknown
  readonly performanceConfig?: unknown
}

/** The first event that carries the answer: the first-token gate opens on it. */
export const isContent = (event: StreamEventLike): boolean =>
  event.contentBlockDelta !== undefined || event.contentBlockStart !== undefined

/** What a stream said by its end: the text so far, and whether it ended as a whole message. */
export class StreamTally {
  text = ''
  events = 0
  stopReason: string | undefined
  /** `messageStop` arrived: the message is whole (metadata normally follows it). */
  stopped = false
  usage: { readonly outputTokens?: number | undefined } | undefined
  /** The `metadata` event, once it arrived: what served the stream is only known there. */
  metadata: StreamMetadataLike | undefined

  see(event: StreamEventLike): void {
    this.events++
    const text = event.contentBlockDelta?.delta?.text
    if (typeof text === 'string') this.text += text
    else if (event.messageStop !== undefined) {
      this.stopped = true
      this.stopReason = event.messageStop.stopReason
    } else if (event.metadata !== undefined) {
      this.metadata = event.metadata
      this.usage = event.metadata.usage
    }
  }
}
