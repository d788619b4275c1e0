/**
 * Every error Breakwater throws. Each has a stable `name`, keeps what caused it in `cause`,
 * and says which part of Breakwater raised it in `source`.
 */
import type { AttemptRecord, FailureClass } from './attempts.js'

/** Base class: `instanceof BreakwaterError` catches everything Breakwater raises. */
export class BreakwaterError extends Error {
  /** The Breakwater part that raised it, e.g. `breakwater/router`. */
  readonly source: string
  constructor(message: string, options: { source: string; cause?: unknown }) {
    super(message, { cause: options.cause })
    this.name = 'BreakwaterError'
    this.source = options.source
  }
}

/** Invalid options, thrown when a middleware is created. `field` names the offending option path. */
export class BreakwaterConfigError extends BreakwaterError {
  readonly field: string
  /** What is wrong with it, e.g. `must be a positive integer`. */
  readonly problem: string
  constructor(source: string, field: string, problem: string, cause?: unknown) {
    super(`${source}: option "${field}" ${problem}`, { source, cause })
    this.name = 'BreakwaterConfigError'
    this.field = field
    this.problem = problem
  }
}

/** The middlewares were `.use()`d in an order that cannot work (or one is missing or doubled). */
export class CompositionError extends BreakwaterError {
  constructor(source: string, message: string) {
    super(`${source}: ${message}`, { source })
    this.name = 'CompositionError'
  }
}

/**
 * The caller's request is at fault (Bedrock ValidationException, AccessDenied, ResourceNotFound, a malformed
 * event). Never retried, never counted against a breaker; replied to with a 4xx.
 */
export class CallerFaultError extends BreakwaterError {
  /** HTTP status the graceful responder uses: 400, 403, 404 or 413. */
  readonly statusCode: number
  constructor(message: string, options: { source: string; statusCode?: number; cause?: unknown }) {
    super(message, options)
    this.name = 'CallerFaultError'
    this.statusCode = options.statusCode ?? 400
  }
}

/** The request body or event is malformed (missing body, invalid JSON, wrong shape). Replied to with 400. */
export class BadRequestError extends CallerFaultError {
  constructor(message: string, cause?: unknown) {
    super(message, { source: 'breakwater', statusCode: 400, cause })
    this.name = 'BadRequestError'
  }
}

/**
 * The prompt does not fit any model of the cascade, even after shortening the history (other regions of a model
 * that overflowed are not tried: they share its window). Replied to with 413.
 */
export class ContextOverflowError extends CallerFaultError {
  constructor(message: string, cause?: unknown) {
    super(message, { source: 'breakwater/fallback', statusCode: 413, cause })
    this.name = 'ContextOverflowError'
  }
}

/** The model replied but its output did not validate. Retried with format instructions, then the next target. */
export class MalformedOutputError extends BreakwaterError {
  /** The text the model returned. */
  readonly output: string
  /**
   * Whether asking again with format instructions can help: true when the reply failed a schema or a validator;
   * false when it held no answer at all (empty, no content), which the next target is better placed to give.
   */
  readonly reaskable: boolean
  /** The reply's stop reason when it, not a check of ours, says the output is malformed (`malformed_tool_use`, ...). */
  readonly stopReason: string | undefined
  constructor(message: string, output: string, cause?: unknown, options: { reaskable?: boolean; stopReason?: string } = {}) {
    super(message, { source: 'breakwater/invoker', cause })
    this.name = 'MalformedOutputError'
    this.output = output
    this.reaskable = options.reaskable ?? true
    this.stopReason = options.stopReason
  }
}

/**
 * The model stopped because the conversation filled its context window (`model_context_window_exceeded`): the
 * answer is cut. Context overflow, as a ValidationException saying the input is too long: the history is shortened
 * and the same target asked again.
 */
export class ContextWindowExceededError extends BreakwaterError {
  readonly stopReason = 'model_context_window_exceeded'
  constructor() {
    super('the model stopped at the end of its context window: the answer is cut', { source: 'breakwater/invoker' })
    this.name = 'ContextWindowExceededError'
  }
}

/**
 * Bedrock answered 2xx but the body could not be read: invalid or truncated JSON, an HTML page, garbage, a
 * connection lost mid-body. An upstream failure (class `unavailable`): the next target is tried, the breaker counts
 * it. The SDK's own error (a `SyntaxError` that quotes the body) stays in `cause`, out of the logs.
 */
export class BrokenResponseError extends BreakwaterError {
  /** The HTTP status the broken body came with. */
  readonly statusCode: number
  constructor(message: string, options: { statusCode: number; cause?: unknown }) {
    super(message, { source: 'breakwater/bedrock', cause: options.cause })
    this.name = 'BrokenResponseError'
    this.statusCode = options.statusCode
  }
}

/** One attempt ran out of its time slice (attempt timeout or the Lambda deadline) and was aborted by us. */
export class AttemptTimeoutError extends BreakwaterError {
  readonly timeoutMs: number
  constructor(timeoutMs: number) {
    super(`attempt aborted after ${timeoutMs} ms`, { source: 'breakwater/backoff' })
    this.name = 'AttemptTimeoutError'
    this.timeoutMs = timeoutMs
  }
}

/**
 * Every target in the cascade failed, was open, or there was no time left. `attempts` tells what happened to
 * each; `cause` is the last upstream error. The graceful responder turns it into a 503 with Retry-After.
 */
export class AllTargetsFailedError extends BreakwaterError {
  readonly attempts: readonly AttemptRecord[]
  /** The failure class of the last attempt, if any attempt was made. */
  readonly lastClass: FailureClass | undefined
  /**
   * When a retry is worth it, in whole seconds: the soonest time any target of the cascade could serve, known when
   * every target was open (its reopening) or answered with a Retry-After. Undefined when some target failed without
   * a hint (it may serve at any time): the graceful responder then uses its configured default.
   */
  readonly retryAfterSeconds: number | undefined
  /**
   * With `retryAfterSeconds` undefined: the soonest known time, an upper bound (a target without a hint may serve
   * sooner). The graceful responder answers the smaller of this and its default.
   */
  readonly retryAfterAtMostSeconds: number | undefined
  constructor(message: string, options: {
    attempts: readonly AttemptRecord[]
    lastClass: FailureClass | undefined
    retryAfterSeconds: number | undefined
    retryAfterAtMostSeconds?: number | undefined
    cause?: unknown
  }) {
    super(message, { source: 'breakwater/invoker', cause: options.cause })
    this.name = 'AllTargetsFailedError'
    this.attempts = options.attempts
    this.lastClass = options.lastClass
    this.retryAfterSeconds = options.retryAfterSeconds
    this.retryAfterAtMostSeconds = options.retryAfterSeconds === undefined ? options.retryAfterAtMostSeconds : undefined
  }
}
