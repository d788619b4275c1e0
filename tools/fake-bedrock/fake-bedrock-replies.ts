/**
 * The call log record of the fake Bedrock server, and the three ways it answers a call on the wire: a success body,
 * a Bedrock error, or a reset stream.
 */
import http2, { type ServerHttp2Stream } from 'node:http2'
import { ERROR_REPLIES, type ErrorReply, type FaultKind, type FaultRule, type Operation } from './fake-bedrock-faults.js'
import { converseProblem, converseReply, invokeReply } from './fake-bedrock-wire.js'

/** How a call ended: `pending` while in flight, `aborted` when the client closed it before a reply. */
export type CallOutcome = 'pending' | 'ok' | 'error' | 'aborted' | 'reset'

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
  readonly startedAt: number
  readonly status: number | undefined
  /** The `x-amzn-errortype` sent back, without the namespace suffix. */
  readonly errorType: string | undefined
  readonly outcome: CallOutcome
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

export type MutableCall = { -readonly [K in keyof CallRecord]: CallRecord[K] }

/** The real service suffixes the error type with its namespace; the SDK strips everything from the `:`. */
const ERROR_NAMESPACE = ':http://internal.amazon.com/coral/com.amazon.bedrock/'

const requestIdOf = (call: CallRecord): string => `00000000-0000-4000-8000-${String(call.seq).padStart(12, '0')}`

/** A 200 reply, unless the body fails the checks the real service makes first. */
export function sendSuccess(stream: ServerHttp2Stream, call: MutableCall, text: () => string, inputChars: number, latencyMs: number): void {
  if (call.body === null || typeof call.body !== 'object') return sendError(stream, call, ERROR_REPLIES.validation)
  const problem = call.operation === 'converse' ? converseProblem(call.body) : undefined
  if (problem) return sendError(stream, call, { ...ERROR_REPLIES.validation, message: problem })
  call.status = 200
  call.outcome = 'ok'
  const requestId = { 'x-amzn-requestid': requestIdOf(call) }
  if (call.operation === 'converse') {
    stream.respond({ ':status': 200, 'content-type': 'application/json', ...requestId })
    stream.end(JSON.stringify(converseReply(text(), inputChars, latencyMs)))
    return
  }
  const reply = invokeReply(text(), call.model, inputChars, latencyMs, call.seq)
  stream.respond({ ':status': 200, 'content-type': 'application/json', ...requestId, ...reply.headers })
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
