import { classify, parseRetryAfter } from '../../src/core/failure.js'
import { AttemptTimeoutError, MalformedOutputError } from '../../src/core/errors.js'

/** An error shaped like the SDK's ServiceException. */
const sdkError = (name: string, status: number, message = 'x', headers: Record<string, string> = {}): Error =>
  Object.assign(new Error(message), {
    name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, $response: { headers },
  })

describe('classify', () => {
  it.each([
    ['ThrottlingException', 429, 'throttled'],
    ['ModelNotReadyException', 429, 'throttled'],
    ['ServiceQuotaExceededException', 400, 'throttled'],
    ['ServiceUnavailableException', 503, 'unavailable'],
    ['InternalServerException', 500, 'unavailable'],
    ['ModelErrorException', 424, 'unavailable'],
    ['ModelTimeoutException', 408, 'timed-out'],
    ['AccessDeniedException', 403, 'caller-fault'],
    ['ResourceNotFoundException', 404, 'caller-fault'],
    ['SomeNewServerException', 502, 'unavailable'],
    ['SomeNewClientException', 400, 'caller-fault'],
  ])('%s (%i) is %s', (name, status, expected) => {
    expect(classify(sdkError(name, status))?.failureClass).toBe(expected)
  })

  it('splits ValidationException into context overflow and caller fault by message', () => {
    const classOf = (message: string) => classify(sdkError('ValidationException', 400, message))?.failureClass
    expect(classOf('Input is too long for requested model.')).toBe('context-overflow')
    expect(classOf('prompt is too long: 250000 tokens > 200000 maximum')).toBe('context-overflow')
    expect(classOf('The model returned the following errors: input length and `max_tokens` exceed context limit')).toBe('context-overflow')
    expect(classOf('Malformed input request: #: required key [messages] not found')).toBe('caller-fault')
  })

  it('treats network errors and our own abort as unavailable / timed out', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    expect(classify(reset)).toEqual({ failureClass: 'unavailable', errorName: 'ECONNRESET' })
    expect(classify(Object.assign(new Error('t'), { name: 'TimeoutError' }))?.failureClass).toBe('unavailable')
    expect(classify(new AttemptTimeoutError(100))?.failureClass).toBe('timed-out')
    expect(classify(new MalformedOutputError('bad json', '{'))?.failureClass).toBe('malformed-output')
  })

  it('leaves errors that are not about the call (bugs) unclassified so they propagate', () => {
    expect(classify(new TypeError('x is undefined'))).toBeUndefined()
    expect(classify('a string')).toBeUndefined()
  })

  it('reads Retry-After from the response headers', () => {
    expect(classify(sdkError('ThrottlingException', 429, 'slow down', { 'retry-after': '2' }))?.retryAfterMs).toBe(2000)
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds, HTTP dates and x-amz-retry-after ms', () => {
    expect(parseRetryAfter({ 'retry-after': '3' })).toBe(3000)
    expect(parseRetryAfter({ 'x-amz-retry-after': '1500' })).toBe(1500)
    const now = Date.parse('2026-11-21T00:00:00Z')
    expect(parseRetryAfter({ 'retry-after': 'Sat, 21 Nov 2026 00:00:04 GMT' }, now)).toBe(4000)
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeUndefined()
    expect(parseRetryAfter(undefined)).toBeUndefined()
  })
})

describe('classify, SDK-wrapped network errors', () => {
  it('reads the code back from the SDK wrapper message', () => {
    const wrapped = new Error(
      'AWS SDK error wrapper for Error [ERR_HTTP2_STREAM_ERROR]: Stream closed with error code NGHTTP2_INTERNAL_ERROR',
    )
    expect(classify(wrapped)).toEqual({ failureClass: 'unavailable', errorName: 'ERR_HTTP2_STREAM_ERROR' })
    expect(classify(new Error('something about EPERM'))).toBeUndefined()
  })
})
