import { describe, expect, it } from '@jest/globals'
import { ServiceUnavailableException, ThrottlingException } from '@aws-sdk/client-bedrock-runtime'
import {
  AllTargetsFailedError, BadRequestError, BreakwaterConfigError, CallerFaultError, ContextOverflowError,
} from '../../src/core/errors.js'
import { StreamInterruptedError } from '../../src/core/stream/errors.js'
import {
  DEFAULT_BUSY_MESSAGE, DEFAULT_RETRY_AFTER_SECONDS, INTERNAL_ERROR_MESSAGE, failureReply,
} from '../../src/responders/classify-reply.js'

const opts = { requestId: 'req-1' }
const SECRET = 'arn:aws:bedrock:us-east-1:123456789012 account 123456789012 rate exceeded for anthropic.claude'

function allFailed(retryAfterSeconds = 12): AllTargetsFailedError {
  return new AllTargetsFailedError('all 3 targets failed', {
    attempts: [{ target: { model: 'anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1' }, attempt: 1,
      outcome: 'throttled', errorName: 'ThrottlingException', latencyMs: 80, waitMs: 0 }],
    lastClass: 'throttled', retryAfterSeconds,
  })
}

/** What Middy's createError / http-errors produce. */
function httpError(status: number, message: string, expose = status < 500): Error {
  return Object.assign(new Error(message), { name: 'UnprocessableEntityError', status, statusCode: status, expose })
}

function middyTimeout(): Error {
  const err = new Error('[AbortError]: The operation was aborted.', { cause: { package: '@middy/core' } })
  err.name = 'TimeoutError'
  return err
}

describe('failureReply', () => {
  it('StreamInterruptedError (a stream no target could finish) → 503 degraded, the partial text nowhere in the reply', () => {
    const error = new StreamInterruptedError('stall', `partial ${SECRET}`, { route: 'default', model: 'm', region: 'us-east-1' })
    const reply = failureReply(error, { ...opts, retryAfterSeconds: 7 })
    expect(reply).toEqual({
      statusCode: 503, message: DEFAULT_BUSY_MESSAGE, retryAfterSeconds: 7, requestId: 'req-1',
      errorType: 'StreamInterruptedError', degraded: true,
    })
  })

  it('AllTargetsFailedError → 503 degraded with the polite message and the error\'s Retry-After', () => {
    expect(failureReply(allFailed(), opts)).toEqual({
      statusCode: 503, message: DEFAULT_BUSY_MESSAGE, retryAfterSeconds: 12, requestId: 'req-1',
      errorType: 'AllTargetsFailedError', degraded: true,
    })
    expect(failureReply(allFailed(), { ...opts, message: 'Come back soon' }).message).toBe('Come back soon')
    expect(failureReply(allFailed(Number.NaN), { ...opts, retryAfterSeconds: 9 }).retryAfterSeconds).toBe(9)
  })

  it('caller faults keep their status and message and are never 503', () => {
    expect(failureReply(new BadRequestError('Body must be JSON with a "prompt"'), opts)).toEqual({
      statusCode: 400, message: 'Body must be JSON with a "prompt"', requestId: 'req-1',
      errorType: 'BadRequestError', degraded: false,
    })
    const overflow = failureReply(new ContextOverflowError('The conversation is too long.'), opts)
    expect(overflow).toMatchObject({ statusCode: 413, message: 'The conversation is too long.', degraded: false })
    expect(overflow.retryAfterSeconds).toBeUndefined()
    const denied = new CallerFaultError('Not allowed', { source: 'breakwater/invoker', statusCode: 403 })
    expect(failureReply(denied, opts)).toMatchObject({ statusCode: 403, errorType: 'CallerFaultError' })
  })

  it('http-errors / Middy createError 4xx → its status and exposed message', () => {
    expect(failureReply(httpError(422, 'Invalid or malformed JSON was provided'), opts)).toEqual({
      statusCode: 422, message: 'Invalid or malformed JSON was provided', requestId: 'req-1',
      errorType: 'UnprocessableEntityError', degraded: false,
    })
    expect(failureReply({ status: 415, message: 'Unsupported' }, opts)).toMatchObject({ statusCode: 415, message: 'Unsupported' })
    // expose: false means the message is not for the caller; the status text stands in for it.
    expect(failureReply(httpError(400, 'internal detail', false), opts).message).toBe('Bad Request')
    expect(failureReply(httpError(429, 'slow down'), opts))
      .toMatchObject({ statusCode: 429, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS })
  })

  it('a 5xx http error is not exposed: generic 500', () => {
    expect(failureReply(httpError(500, 'db password wrong'), opts)).toMatchObject({ statusCode: 500, message: INTERNAL_ERROR_MESSAGE })
  })

  it('Middy\'s early timeout → 503 degraded with the default Retry-After', () => {
    expect(failureReply(middyTimeout(), { ...opts, retryAfterSeconds: 4 })).toMatchObject({
      statusCode: 503, degraded: true, errorType: 'TimeoutError', retryAfterSeconds: 4, message: DEFAULT_BUSY_MESSAGE,
    })
  })

  it('an escaped Bedrock SDK error → 503 degraded, its message never leaks', () => {
    const sdk = new ThrottlingException({ message: SECRET, $metadata: { httpStatusCode: 429 } })
    const reply = failureReply(sdk, opts)
    expect(reply).toMatchObject({ statusCode: 503, degraded: true, errorType: 'ThrottlingException', retryAfterSeconds: 5 })
    expect(JSON.stringify(reply)).not.toContain('123456789012')
    const down = new ServiceUnavailableException({ message: SECRET, $metadata: { httpStatusCode: 503 } })
    expect(failureReply(down, opts)).toMatchObject({ statusCode: 503, errorType: 'ServiceUnavailableException' })
  })

  it('uses the upstream Retry-After hint when an escaped SDK error carries one', () => {
    const sdk = Object.assign(new ThrottlingException({ message: 'x', $metadata: { httpStatusCode: 429 } }), {
      $response: { statusCode: 429, headers: { 'retry-after': '2.2' } },
    })
    expect(failureReply(sdk, opts).retryAfterSeconds).toBe(3)
  })

  it('an escaped network error → 503 degraded', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    expect(failureReply(reset, opts)).toMatchObject({ statusCode: 503, degraded: true, errorType: 'ECONNRESET' })
  })

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'text')")],
    ['a config error raised late', new BreakwaterConfigError('breakwater/router', 'routes', 'is empty')],
    ['a thrown string', 'boom'],
    ['undefined', undefined],
  ])('%s → 500 generic, nothing of the error in it', (_label, error) => {
    const reply = failureReply(error, opts)
    expect(reply).toEqual({
      statusCode: 500, message: INTERNAL_ERROR_MESSAGE, requestId: 'req-1', errorType: 'InternalError', degraded: false,
    })
  })
})
