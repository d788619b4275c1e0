/**
 * Failure classes: every error a Bedrock call can end with falls into exactly one, and the class alone decides
 * what happens next (see the table in README.md).
 */
import type { FailureClass } from './attempts.js'
import { AttemptTimeoutError, BrokenResponseError, ContextWindowExceededError, MalformedOutputError } from './errors.js'

export type { FailureClass } from './attempts.js'

export interface Classification {
  readonly failureClass: FailureClass
  /** The upstream error's name, e.g. `ThrottlingException`, `ECONNRESET`, `AttemptTimeoutError`. */
  readonly errorName: string
  /** Server-provided Retry-After, ms, when the response carried one. */
  readonly retryAfterMs?: number
  /**
   * A caller fault that refuses this target only: the model or region does not offer the service tier or latency
   * mode the target asks for. Another target (the next step of a tier ladder) may serve.
   */
  readonly unsupportedTier?: true
}

const BY_NAME: Readonly<Record<string, FailureClass>> = {
  ThrottlingException: 'throttled',
  ModelNotReadyException: 'throttled',
  ServiceQuotaExceededException: 'throttled',
  TooManyRequestsException: 'throttled',
  ServiceUnavailableException: 'unavailable',
  InternalServerException: 'unavailable',
  // Bedrock: "an error occurred while processing the model" (424) — the model failed, another target may not.
  ModelErrorException: 'unavailable',
  ModelStreamErrorException: 'unavailable',
  ModelTimeoutException: 'timed-out',
  AttemptTimeoutError: 'timed-out',
  AccessDeniedException: 'caller-fault',
  ResourceNotFoundException: 'caller-fault',
  UnrecognizedClientException: 'caller-fault',
  ConflictException: 'caller-fault',
}

/** Node/undici/http2 error codes and SDK handler errors that mean "the network failed", not "the request is bad". */
const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENETDOWN', 'ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_SESSION_ERROR', 'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_STREAM_CANCEL', 'ERR_HTTP2_INVALID_SESSION', 'ERR_HTTP2_ERROR', 'ERR_STREAM_PREMATURE_CLOSE',
])
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'NetworkingError'])

/**
 * Messages Bedrock uses (across model providers) when the prompt does not fit the context window. Checked only on a
 * ValidationException, so a false match can only turn a 400 into one truncated retry.
 */
const CONTEXT_OVERFLOW = new RegExp([
  'too long', 'too many (input )?tokens', 'context (length|window)', 'maximum context',
  'exceeds? (the )?(max|maximum|limit)', 'input length', 'prompt is too long', 'token limit', 'reduce the length',
].join('|'), 'i')

/**
 * Messages Bedrock uses when the model or region does not offer the service tier or latency-optimized inference
 * asked for ("Reservation not found." for `reserved` without a reservation). Checked only on a ValidationException,
 * first: such a request is fine for a target without the tier.
 */
const TIER_UNSUPPORTED = new RegExp([
  'reservation not found',
  '(doesn.?t|does not|don.?t|do not) (offer|support) (the )?([\\w-]+ )?(service tier|latency)',
  '(service tier|latency[- ]optimi[sz]ed|optimized latency)\\b.*\\b(not supported|unsupported|not available|isn.t (supported|available)|is invalid)',
].join('|'), 'i')

interface ErrorLike {
  name?: unknown
  code?: unknown
  message?: unknown
  $fault?: unknown
  $metadata?: { httpStatusCode?: unknown }
  $response?: { headers?: Record<string, string | undefined> }
}

/**
 * Puts an error into its failure class. Returns `undefined` for errors that are not about the Bedrock call
 * (a bug in the handler, a TypeError): those propagate unchanged instead of being retried.
 */
export function classify(error: unknown, now: number = Date.now()): Classification | undefined {
  // A stop reason is a public SDK enum value: safe to log as the error's name.
  if (error instanceof MalformedOutputError) return { failureClass: 'malformed-output', errorName: error.stopReason ?? error.name }
  if (error instanceof ContextWindowExceededError) return { failureClass: 'context-overflow', errorName: error.stopReason }
  if (error instanceof AttemptTimeoutError) return { failureClass: 'timed-out', errorName: error.name }
  if (error instanceof BrokenResponseError) return { failureClass: 'unavailable', errorName: error.name }
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as ErrorLike
  const name = typeof e.name === 'string' ? e.name : 'Error'
  const retryAfterMs = parseRetryAfter(e.$response?.headers, now)
  const withHint = (failureClass: FailureClass, errorName = name): Classification =>
    retryAfterMs === undefined ? { failureClass, errorName } : { failureClass, errorName, retryAfterMs }

  if (name === 'ValidationException') {
    const message = String(e.message ?? '')
    if (TIER_UNSUPPORTED.test(message)) return { failureClass: 'caller-fault', errorName: name, unsupportedTier: true }
    return withHint(CONTEXT_OVERFLOW.test(message) ? 'context-overflow' : 'caller-fault')
  }
  // In-stream exceptions this SDK does not model arrive named as on the wire (`modelTimeoutException`).
  const byName = BY_NAME[name] ?? BY_NAME[`${name.charAt(0).toUpperCase()}${name.slice(1)}`]
  if (byName) return withHint(byName)
  const code = typeof e.code === 'string' ? e.code : networkCodeIn(e.message)
  if (code && NETWORK_CODES.has(code)) return { failureClass: 'unavailable', errorName: code }
  if (NETWORK_NAMES.has(name)) return { failureClass: 'unavailable', errorName: name }
  // An SDK service exception we do not know by name: its fault says whose side it is on.
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined
  // A 2xx the SDK could not deserialise (its SyntaxError carries the status): the service broke its reply.
  if (status !== undefined && status >= 200 && status < 300) return { failureClass: 'unavailable', errorName: name }
  if (e.$fault === 'server' || (status !== undefined && status >= 500)) return withHint('unavailable')
  if (status === 429) return withHint('throttled')
  if (e.$fault === 'client' || (status !== undefined && status >= 400)) return withHint('caller-fault')
  return undefined
}

/**
 * The SDK wraps errors that fail its `instanceof Error` check (a Node error from another realm) as
 * "AWS SDK error wrapper for Error [ERR_HTTP2_STREAM_ERROR]: ...", dropping `code`: read it back from the message.
 */
function networkCodeIn(message: unknown): string | undefined {
  if (typeof message !== 'string') return undefined
  const found = /\b(E[A-Z]+|ERR_[A-Z0-9_]+)\b/.exec(message)?.[1]
  return found && NETWORK_CODES.has(found) ? found : undefined
}

/** Retry-After is seconds or an HTTP date; `x-amz-retry-after` is ms. Returns ms, or undefined. */
export function parseRetryAfter(
  headers: Record<string, string | undefined> | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined
  const amz = headers['x-amz-retry-after']
  if (amz !== undefined && /^\d+$/.test(amz.trim())) return Number(amz)
  const value = headers['retry-after']?.trim()
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/**
 * Which failure classes count against a target's breaker by default. Not `throttled`: a 429 says the quota is spent,
 * not that the target is down. Opening the breaker on it turns a few seconds of over-quota into a cooldown without
 * the target; the adaptive throttle (core/admission) sheds the excess instead. `failureClasses` can add it back.
 */
export const BREAKER_FAILURE_CLASSES: ReadonlySet<FailureClass> = new Set(['unavailable', 'timed-out'])

/**
 * The failure classes that are the model's or the service's doing, not the caller's and not an oversized prompt:
 * what a breaker can count, what the canary holds against a side, and what a caller is told is "busy, try later".
 */
export const UPSTREAM_FAILURE_CLASSES: ReadonlySet<FailureClass> = new Set(['throttled', 'unavailable', 'timed-out', 'malformed-output'])
