/**
 * The call log record of the fake Bedrock server, and the ways it answers a call on the wire: a success body, a
 * Bedrock error, a bad body, or a reset stream. Event streams are written by fake-bedrock-stream.ts.
 */
import http2, { type ServerHttp2Stream } from 'node:http2'
import { ERROR_REPLIES, type ErrorReply, type FaultKind, type FaultRule, type Operation } from './fake-bedrock-faults.js'
import type { QuotaBound } from './fake-bedrock-quota.js'
import { converseEcho, invokeEcho, type TierEcho } from './fake-bedrock-tiers.js'
import { converseProblem, converseReply } from './fake-bedrock-wire.js'
import { invokeReply } from './fake-bedrock-families.js'
import type { CacheUsage } from './fake-bedrock-cache.js'

/**
 * How a call ended: `pending` while in flight, `aborted` when the client closed it before the server had finished
 * (before a reply, or mid-stream: a stall ends so), `cut` for an event stream ended without its `messageStop`,
 * `error` for an error reply or an in-stream exception.
 */
export type CallOutcome = 'pending' | 'ok' | 'error' | 'aborted' | 'reset' | 'cut'

export interface CallRecord {
  readonly seq: number
  readonly region: string
  readonly model: string
  readonly operation: Operation
  /** The request body, parsed (the raw string when it was not JSON). */
  readonly body: unknown
  /** ALPN id of the HTTP/2 session that carried the call: `h2c` for cleartext HTTP/2. */
  readonly protocol: string
  /** Which HTTP/2 connection (1, 2, ...) carried the call: shows whether the client reuses sessions. */
  readonly session: number
  /** The planned fault that hit the call, if any. */
  readonly fault: FaultKind | undefined
  /** The service tier the call asked for (Converse's `serviceTier.type`, InvokeModel's header), if any. */
  readonly serviceTier: string | undefined
  /** The latency mode the call asked for (`performanceConfig.latency`, InvokeModel's header), if any. */
  readonly latency: string | undefined
  /** The quota bucket that was short when the call was throttled for capacity (429 ThrottlingException), if it was. */
  readonly throttledBy: QuotaBound | undefined
  readonly startedAt: number
  readonly status: number | undefined
  /** The `x-amzn-errortype` sent back, without the namespace suffix; for an in-stream exception its `:exception-type`. */
  readonly errorType: string | undefined
  readonly outcome: CallOutcome
  /**
   * For `converse-stream`: the messages written, in order, by `:event-type` (`messageStart`, `contentBlockDelta`...)
   * or `:exception-type`; a malformed one as `contentBlockDelta(malformed)`. Empty for other operations.
   */
  readonly events: readonly string[]
  readonly endedAt: number | undefined
}

/** What the reply function sees of a call. */
export interface ReplyContext {
  readonly region: string
  readonly model: string
  readonly operation: Operation
  readonly body: unknown
  readonly lastUserText: string
}

export type MutableCall = { -readonly [K in keyof Omit<CallRecord, 'events'>]: CallRecord[K] } & { events: string[] }

/** The real service suffixes the error type with its namespace; the SDK strips everything from the `:`. */
const ERROR_NAMESPACE = ':http://internal.amazon.com/coral/com.amazon.bedrock/'

export const requestIdOf = (call: CallRecord): string => `00000000-0000-4000-8000-${String(call.seq).padStart(12, '0')}`

/** The checks the real service makes before a model sees the request: the error it answers, or undefined. */
export function rejectionOf(call: CallRecord): ErrorReply | undefined {
  if (call.body === null || typeof call.body !== 'object') return ERROR_REPLIES.validation
  const problem = call.operation === 'invoke' ? undefined : converseProblem(call.body)
  return problem ? { ...ERROR_REPLIES.validation, message: problem } : undefined
}

/**
 * A 200 reply (stopping with `stopReason`), unless the body fails the checks the real service makes first; it names
 * the tier that `served`.
 */
export function sendSuccess(
  stream: ServerHttp2Stream, call: MutableCall, text: () => string, inputChars: number, latencyMs: number, served?: TierEcho,
  stopReason?: string, cache?: CacheUsage,
): void {
  const rejection = rejectionOf(call)
  if (rejection) return sendError(stream, call, rejection)
  call.status = 200
  call.outcome = 'ok'
  const requestId = { 'x-amzn-requestid': requestIdOf(call) }
  if (call.operation === 'converse') {
    stream.respond({ ':status': 200, 'content-type': 'application/json', ...requestId })
    const reply = converseReply(text(), inputChars, latencyMs, stopReason) as { usage: object }
    reply.usage = { ...reply.usage, ...cache }
    stream.end(JSON.stringify({ ...reply, ...converseEcho(served) }))
    return
  }
  const reply = invokeReply(text(), call.model, inputChars, latencyMs, call.seq, stopReason)
  stream.respond({ ':status': 200, 'content-type': 'application/json', ...requestId, ...reply.headers, ...invokeEcho(served) })
  stream.end(JSON.stringify(reply.body))
}

/** A Bedrock error: named by `x-amzn-errortype` (what restJson1 clients read first), `{ message }` in the body. */
export function sendError(stream: ServerHttp2Stream, call: MutableCall, reply: ErrorReply, retryAfterSeconds?: number): void {
  call.status = reply.status
  call.errorType = reply.errorType
  call.outcome = 'error'
  const headers: http2.OutgoingHttpHeaders = {
    ':status': reply.status,
    'content-type': 'application/json',
    'x-amzn-errortype': reply.errorType + ERROR_NAMESPACE,
    'x-amzn-requestid': requestIdOf(call),
  }
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds)
  stream.respond(headers)
  stream.end(JSON.stringify({ message: reply.message, ...reply.extra }))
}

/** A 200 with a body no well-behaved service sends; `cutBody` resets the stream after it, mid-reply. */
export function sendBadBody(stream: ServerHttp2Stream, call: MutableCall, rule: FaultRule): void {
  call.status = 200
  call.outcome = rule.cutBody ? 'reset' : 'ok'
  stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-amzn-requestid': requestIdOf(call) })
  if (!rule.cutBody) return void stream.end(rule.body)
  stream.write(rule.body ?? '', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR))
}

/** RST_STREAM(INTERNAL_ERROR) for this call only, or the whole connection torn down. */
export function resetStream(stream: ServerHttp2Stream, call: MutableCall, rule: FaultRule): void {
  call.outcome = 'reset'
  if (rule.resetScope === 'session') stream.session?.destroy()
  else stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)
}
