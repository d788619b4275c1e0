/**
 * What may be written to logs and traces about an error. Upstream text is user data: Bedrock's messages can echo
 * the prompt, Node's `SyntaxError` quotes the body it could not parse (a request's or a broken reply's), a
 * validator's message may quote the model's reply. So by default only names, classes, codes, statuses, request ids,
 * stack frames and Breakwater's own messages are reported; `messages: true` (the user's opt-in) adds the rest.
 */
import { BreakwaterError, CallerFaultError, MalformedOutputError, AllTargetsFailedError, BreakwaterConfigError } from './errors.js'

export interface ErrorReportOptions {
  /** Also report messages that may quote user or model text (upstream, unknown and validator errors). Default false. */
  readonly messages?: boolean
}

/** The causes followed below the error itself: enough for SDK wrappers, bounded against cycles. */
const MAX_CAUSE_DEPTH = 3
/** A `code` is reported only when it looks like one (`ECONNRESET`, `ERR_HTTP2_STREAM_ERROR`), not free text. */
const CODE = /^[A-Z][A-Z0-9_]{1,63}$/

/**
 * Breakwater wrote this message itself, from nothing the user or the model sent: safe to report. A
 * MalformedOutputError's message is the validator's reason, which may quote the reply.
 */
export function hasOwnMessage(error: unknown): error is BreakwaterError {
  return error instanceof BreakwaterError && !(error instanceof MalformedOutputError)
}

/**
 * A plain object describing `error` for a structured log line. Never the error object itself: a logger serialises
 * every own property, and some carry user content (`MalformedOutputError.output`, an SDK error's `$response`).
 */
export function reportError(error: unknown, options: ErrorReportOptions = {}, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) {
    return options.messages ? { name: typeof error, message: safeString(error) } : { name: typeof error }
  }
  const report: Record<string, unknown> = { name: error.name }
  if (options.messages || hasOwnMessage(error)) report.message = error.message
  const frames = stackFrames(error)
  if (frames !== undefined) report.stack = options.messages ? error.stack : `${error.name}\n${frames}`
  if (error instanceof BreakwaterError) report.raisedBy = error.source
  if (error instanceof BreakwaterConfigError) report.field = error.field
  if (error instanceof CallerFaultError) report.statusCode = error.statusCode
  if (error instanceof AllTargetsFailedError) {
    report.lastClass = error.lastClass
    report.attempts = error.attempts.map((a) => ({
      model: a.target.model, region: a.target.region, attempt: a.attempt, outcome: a.outcome, errorName: a.errorName,
    }))
  }
  Object.assign(report, upstreamFields(error))
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) report.cause = reportError(error.cause, options, depth + 1)
  return report
}

/**
 * The same error as one that is safe to hand to a tracer (X-Ray records name, message and stack): its name, its
 * message only when it may be reported, its stack frames.
 */
export function reportableError(error: unknown, options: ErrorReportOptions = {}): Error {
  if (options.messages && error instanceof Error) return error
  const name = error instanceof Error ? error.name : typeof error
  const safe = new Error(hasOwnMessage(error) ? error.message : name)
  safe.name = name
  const frames = error instanceof Error ? stackFrames(error) : undefined
  safe.stack = frames === undefined ? name : `${name}\n${frames}`
  return safe
}

/**
 * Only the stack's `at ...` frames. Its head is `name: message`, and the message may span lines that look like
 * frames, so the exact head is cut first; then only frame lines are kept.
 */
function stackFrames(error: Error): string | undefined {
  let stack = error.stack
  if (typeof stack !== 'string') return undefined
  const head = `${error.name}: ${error.message}`
  // A message changed after the stack was taken (the SDK appends a hint) no longer matches: skip as many lines as
  // it has, which can only drop frames, never keep a line of text.
  stack = stack.startsWith(head) ? stack.slice(head.length) : stack.split('\n').slice(head.split('\n').length).join('\n')
  const frames = stack.split('\n').filter((line) => /^\s+at \S/.test(line))
  return frames.length === 0 ? undefined : frames.join('\n')
}

/** What an AWS SDK or Node error carries besides its message: all of it protocol, none of it user text. */
function upstreamFields(error: Error): Record<string, unknown> {
  const e = error as Error & { code?: unknown; $fault?: unknown; $metadata?: { httpStatusCode?: unknown; requestId?: unknown } }
  const out: Record<string, unknown> = {}
  if (typeof e.code === 'string' && CODE.test(e.code)) out.code = e.code
  if (e.$fault === 'client' || e.$fault === 'server') out.fault = e.$fault
  const meta = typeof e.$metadata === 'object' && e.$metadata !== null ? e.$metadata : undefined
  if (typeof meta?.httpStatusCode === 'number') out.httpStatusCode = meta.httpStatusCode
  if (typeof meta?.requestId === 'string') out.requestId = meta.requestId
  return out
}

function safeString(value: unknown): string {
  try {
    return String(value)
  } catch {
    return typeof value
  }
}
