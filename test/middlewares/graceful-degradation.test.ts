import { describe, expect, it, jest } from '@jest/globals'
import { ThrottlingException } from '@aws-sdk/client-bedrock-runtime'
import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import {
  AllTargetsFailedError, BadRequestError, BreakwaterConfigError, ContextOverflowError,
} from '../../src/core/errors.js'
import { gracefulDegradation, type GracefulDegradationOptions } from '../../src/middlewares/graceful-degradation.js'
import {
  albEvent, directEvent, functionUrlEvent, httpApiEvent, lambdaContext, restEvent, sqsEvent,
} from '../support/events.js'
import { capturePrinted } from '../support/printed.js'

const REQUEST_ID = '5b0d3f0a-1c2e-4a51-9d3e-1f2a3b4c5d6e'
const PROMPT = 'Summarise my last three orders'
const SECRET = 'Rate exceeded for account 123456789012 on anthropic.claude-3-5-sonnet'

function allFailed(retryAfterSeconds = 30): AllTargetsFailedError {
  return new AllTargetsFailedError('all targets failed', {
    attempts: [{ target: { model: 'anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1' }, attempt: 1,
      outcome: 'throttled', errorName: 'ThrottlingException', latencyMs: 90, waitMs: 0 }],
    lastClass: 'throttled', retryAfterSeconds,
  })
}

const printedLines = capturePrinted()


const emfBlobs = (): Record<string, unknown>[] => printedLines().filter((l) => '_aws' in l)
const logLines = (): Record<string, unknown>[] => printedLines().filter((l) => !('_aws' in l))

/** A real Middy handler with the Powertools middlewares the way users stack them, gracefulDegradation last. */
function handlerThrowing(error: unknown, options: GracefulDegradationOptions = {}) {
  const logger = new Logger({ serviceName: 'chat', logLevel: 'WARN' })
  const metrics = new Metrics({ namespace: 'Breakwater', serviceName: 'chat' })
  const publish = jest.spyOn(metrics, 'publishStoredMetrics')
  const handler = middy(async (_event: unknown, _context: Context): Promise<unknown> => {
    throw error
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(gracefulDegradation({ logger, metrics, ...options }))
  return { handler, publish }
}

interface HttpResult { statusCode: number; headers: Record<string, string>; body: string }

describe('gracefulDegradation with a real Middy handler', () => {
  it('AllTargetsFailedError → 503 with Retry-After and a JSON body, metrics still flushed', async () => {
    const { handler, publish } = handlerThrowing(allFailed(30), { message: 'We are busy. Try again shortly.' })
    const result = await handler(restEvent(), lambdaContext()) as HttpResult
    expect(result.statusCode).toBe(503)
    expect(result.headers).toEqual({ 'content-type': 'application/json', 'retry-after': '30' })
    expect(JSON.parse(result.body)).toEqual({ message: 'We are busy. Try again shortly.', retryAfterSeconds: 30, requestId: REQUEST_ID })
    expect(publish).toHaveBeenCalledTimes(1)
    const [emf] = emfBlobs()
    expect(emf).toMatchObject({ DegradedResponses: 1, service: 'chat' })
    const log = logLines().find((l) => l.message === 'breakwater replied with a failure')
    expect(log).toMatchObject({
      level: 'ERROR', errorType: 'AllTargetsFailedError', statusCode: 503, source: 'apigw-rest', function_request_id: REQUEST_ID,
    })
  })

  it('AllTargetsFailedError with no hint of its own → the configured retryAfterSeconds', async () => {
    const noHint = new AllTargetsFailedError('all targets failed', { attempts: [], lastClass: 'unavailable', retryAfterSeconds: undefined })
    const { handler } = handlerThrowing(noHint, { retryAfterSeconds: 9 })
    const result = await handler(restEvent(), lambdaContext()) as HttpResult
    expect(result.headers['retry-after']).toBe('9')
  })

  it('a raw SDK ThrottlingException that escaped → 503, its message never in the reply', async () => {
    const sdk = new ThrottlingException({ message: SECRET, $metadata: { httpStatusCode: 429 } })
    const result = await handlerThrowing(sdk).handler(httpApiEvent(), lambdaContext()) as HttpResult
    expect(result.statusCode).toBe(503)
    expect(result.headers['retry-after']).toBe('5')
    expect(result.body).not.toContain('123456789012')
    expect(JSON.parse(result.body).message).toMatch(/busy/)
    expect(emfBlobs()[0]).toMatchObject({ DegradedResponses: 1 })
  })

  it('BadRequestError → 400 with its message, logged at warn, not counted as degraded', async () => {
    const { handler, publish } = handlerThrowing(new BadRequestError('Body must be JSON with a "prompt" string'))
    const result = await handler(httpApiEvent(), lambdaContext()) as HttpResult
    expect(result).toEqual({
      statusCode: 400, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Body must be JSON with a "prompt" string', requestId: REQUEST_ID }),
    })
    expect(publish).toHaveBeenCalledTimes(1)
    expect(emfBlobs()).toHaveLength(0)
    expect(logLines().find((l) => l.errorType === 'BadRequestError'))
      .toMatchObject({ level: 'WARN', statusCode: 400, source: 'apigw-http' })
  })

  it('ContextOverflowError → 413 on a function URL', async () => {
    const result = await handlerThrowing(new ContextOverflowError('The conversation is too long for any model.'))
      .handler(functionUrlEvent(), lambdaContext()) as HttpResult
    expect(result.statusCode).toBe(413)
    expect(JSON.parse(result.body).message).toBe('The conversation is too long for any model.')
  })

  it('a Middy createError-style 422 from a body parser `before` → 422', async () => {
    const parseError = Object.assign(new Error('Invalid or malformed JSON was provided'), {
      name: 'UnprocessableEntityError', status: 422, statusCode: 422, expose: true,
    })
    const handler = middy(async () => ({ statusCode: 200, body: 'never' }))
      .use({ before: () => { throw parseError } })
      .use(gracefulDegradation())
    const result = await handler(restEvent(), lambdaContext()) as HttpResult
    expect(result.statusCode).toBe(422)
    expect(JSON.parse(result.body).message).toBe('Invalid or malformed JSON was provided')
  })

  it('a TypeError (a bug) → 500 with a generic message; the log carries no prompt', async () => {
    const result = await handlerThrowing(new TypeError("Cannot read properties of undefined (reading 'text')"))
      .handler(restEvent(), lambdaContext()) as HttpResult
    expect(result.statusCode).toBe(500)
    expect(result.headers['retry-after']).toBeUndefined()
    expect(JSON.parse(result.body)).toEqual({ message: 'An internal error occurred.', requestId: REQUEST_ID })
    const log = logLines().find((l) => l.errorType === 'InternalError')
    expect(log).toMatchObject({ level: 'ERROR', statusCode: 500, error: { name: 'TypeError' } })
    expect(JSON.stringify(printedLines())).not.toContain(PROMPT)
  })

  it('an SQS batch → every messageId in batchItemFailures', async () => {
    const result = await handlerThrowing(allFailed()).handler(sqsEvent('m-1', 'm-2', 'm-3'), lambdaContext())
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }, { itemIdentifier: 'm-3' }] })
    expect(emfBlobs()[0]).toMatchObject({ DegradedResponses: 1 })
  })

  it(
    'an SQS batch with null and non-object records → still a reply: every record it can name, and an empty id so the whole batch is redelivered',
    async () => {
      const event = sqsEvent('m-1', 'm-2') as unknown as { Records: unknown[] }
      const broken = { Records: [null, event.Records[0], 42, 'x', { eventSource: 'aws:sqs' }, event.Records[1]] }
      const result = await handlerThrowing(allFailed()).handler(broken, lambdaContext())
      // An empty itemIdentifier makes Lambda fail the whole batch: the unnamed records are not deleted as successes.
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }, { itemIdentifier: '' }] })
    },
  )

  it('logs no upstream text: the cause\'s message is left out unless logErrorMessages', async () => {
    const cause = new ThrottlingException({ message: SECRET, $metadata: { httpStatusCode: 429, requestId: 'req-1' } })
    const error = new AllTargetsFailedError('all targets failed', { attempts: [], lastClass: 'throttled', retryAfterSeconds: 3, cause })
    await handlerThrowing(error).handler(httpApiEvent(), lambdaContext())
    expect(logLines()[0]).toMatchObject({
      error: { name: 'AllTargetsFailedError', cause: { name: 'ThrottlingException', httpStatusCode: 429, requestId: 'req-1' } },
    })
    expect(JSON.stringify(printedLines())).not.toContain(SECRET)
    printedLines().length = 0
    await handlerThrowing(error, { logErrorMessages: true }).handler(httpApiEvent(), lambdaContext())
    expect(JSON.stringify(printedLines())).toContain(SECRET)
  })

  it('an ALB with multi-value headers → statusDescription and multiValueHeaders', async () => {
    const result = await handlerThrowing(allFailed(8)).handler(albEvent(true), lambdaContext())
    expect(result).toMatchObject({
      statusCode: 503, statusDescription: '503 Service Unavailable', isBase64Encoded: false,
      multiValueHeaders: { 'content-type': ['application/json'], 'retry-after': ['8'] },
    })
  })

  it('a direct invoke → the documented degraded object', async () => {
    const result = await handlerThrowing(allFailed(12)).handler(directEvent(), lambdaContext())
    expect(result).toEqual({
      ok: false, degraded: true, statusCode: 503, errorType: 'AllTargetsFailedError',
      message: 'The assistant is busy right now. Please try again in a moment.', retryAfterSeconds: 12, requestId: REQUEST_ID,
    })
  })

  it('Middy\'s early timeout → 503 degraded with the configured Retry-After', async () => {
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 60 }
    let timer: NodeJS.Timeout | undefined
    const handler = middy(
      () => new Promise((resolve) => { timer = setTimeout(resolve, 5_000) }),
      { timeoutEarlyInMillis: 50 },
    ).use(gracefulDegradation({ retryAfterSeconds: 2 }))
    const result = await handler(restEvent(), context) as HttpResult
    clearTimeout(timer)
    expect(result.statusCode).toBe(503)
    expect(result.headers['retry-after']).toBe('2')
  })

  it('still flushes metrics when used before logMetrics (it then runs after its onError)', async () => {
    const metrics = new Metrics({ namespace: 'Breakwater', serviceName: 'chat' })
    const handler = middy(async () => { throw allFailed() })
      .use(gracefulDegradation({ metrics }))
      .use(logMetrics(metrics))
    const result = await handler(restEvent(), lambdaContext()) as HttpResult
    expect(result.statusCode).toBe(503)
    expect(emfBlobs().some((b) => b.DegradedResponses === 1)).toBe(true)
  })

  it('leaves a response another onError hook already set', async () => {
    const handler = middy(async () => { throw allFailed() })
      .use(gracefulDegradation())
      .use({ onError: (request) => { request.response = { statusCode: 418, body: 'teapot' } } })
    expect(await handler(restEvent(), lambdaContext())).toEqual({ statusCode: 418, body: 'teapot' })
  })

  it('does not touch successful responses', async () => {
    const handler = middy(async () => ({ statusCode: 200, body: 'ok' })).use(gracefulDegradation())
    expect(await handler(restEvent(), lambdaContext())).toEqual({ statusCode: 200, body: 'ok' })
  })

  it('a reply override shapes the result; undefined hands the error back to Middy', async () => {
    const custom = middy(async () => { throw allFailed(3) }).use(gracefulDegradation({
      reply: (reply, source, request) => ({ html: `<p>${reply.message}</p>`, source, id: request.context.awsRequestId }),
    }))
    expect(await custom(restEvent(), lambdaContext())).toEqual({
      html: '<p>The assistant is busy right now. Please try again in a moment.</p>', source: 'apigw-rest', id: REQUEST_ID,
    })
    const error = allFailed()
    const rethrow = middy(async () => { throw error }).use(gracefulDegradation({ reply: () => undefined }))
    await expect(rethrow(sqsEvent('m-1'), lambdaContext())).rejects.toBe(error)
  })
})

describe('gracefulDegradation options', () => {
  it.each([
    ['retryAfter', { retryAfter: 5 }],
    ['message', { message: '' }],
    ['message', { message: 42 }],
    ['retryAfterSeconds', { retryAfterSeconds: -1 }],
    ['retryAfterSeconds', { retryAfterSeconds: 1.5 }],
    ['retryAfterSeconds', { retryAfterSeconds: '5' }],
    ['logger', { logger: console.log }],
    ['metrics', { metrics: {} }],
    ['reply', { reply: 'json' }],
    ['options', 'yes'],
  ])('rejects a bad %s at creation', (field, options) => {
    const create = (): unknown => gracefulDegradation(options as GracefulDegradationOptions)
    expect(create).toThrow(BreakwaterConfigError)
    expect(create).toThrow(expect.objectContaining({ field, source: 'breakwater/graceful-degradation' }))
  })

  it('accepts no options and a full set', () => {
    expect(gracefulDegradation().onError?.name).toBe('gracefulDegradationOnError')
    const logger = new Logger()
    const metrics = new Metrics({ namespace: 'Breakwater' })
    expect(() => gracefulDegradation({ message: 'Busy', retryAfterSeconds: 0, logger, metrics, reply: () => ({}) })).not.toThrow()
  })
})
