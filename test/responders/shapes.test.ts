import { describe, expect, it } from '@jest/globals'
import { albReply } from '../../src/responders/alb.js'
import { directReply } from '../../src/responders/direct.js'
import { httpReply } from '../../src/responders/http.js'
import { requestIdFor, shapeReply } from '../../src/responders/reply.js'
import { sqsReply } from '../../src/responders/sqs.js'
import type { FailureReply } from '../../src/responders/types.js'
import type { EventSource } from '../../src/responders/detect.js'
import { albEvent, directEvent, functionUrlEvent, httpApiEvent, lambdaContext, restEvent, sqsEvent } from '../support/events.js'

const busy: FailureReply = {
  statusCode: 503, message: 'Busy, try again soon.', retryAfterSeconds: 7, requestId: 'req-1',
  errorType: 'AllTargetsFailedError', degraded: true,
}
const bad: FailureReply = {
  statusCode: 400, message: 'Missing "prompt"', requestId: 'req-2', errorType: 'BadRequestError', degraded: false,
}

describe('httpReply', () => {
  it('answers 503 with JSON, Retry-After and the request id', () => {
    expect(httpReply(busy)).toEqual({
      statusCode: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '7' },
      body: JSON.stringify({ message: 'Busy, try again soon.', retryAfterSeconds: 7, requestId: 'req-1' }),
    })
  })

  it('sends Retry-After on 429 too, never on a 4xx that retrying cannot fix', () => {
    expect(httpReply({ ...bad, statusCode: 429, retryAfterSeconds: 3 }).headers['retry-after']).toBe('3')
    const reply = httpReply({ ...bad, retryAfterSeconds: 3 })
    expect(reply.headers['retry-after']).toBeUndefined()
    expect(JSON.parse(httpReply(bad).body)).toEqual({ message: 'Missing "prompt"', requestId: 'req-2' })
  })
})

describe('albReply', () => {
  it('adds statusDescription and isBase64Encoded, with plain headers', () => {
    expect(albReply(busy, albEvent())).toEqual({
      statusCode: 503, statusDescription: '503 Service Unavailable', isBase64Encoded: false,
      headers: { 'content-type': 'application/json', 'retry-after': '7' },
      body: JSON.stringify({ message: 'Busy, try again soon.', retryAfterSeconds: 7, requestId: 'req-1' }),
    })
  })

  it('answers in multiValueHeaders when the target group sends them', () => {
    const reply = albReply(bad, albEvent(true))
    expect(reply.statusDescription).toBe('400 Bad Request')
    expect(reply.headers).toBeUndefined()
    expect(reply.multiValueHeaders).toEqual({ 'content-type': ['application/json'] })
  })
})

describe('sqsReply', () => {
  it('reports every message of the batch as failed so none is lost', () => {
    expect(sqsReply(sqsEvent('a', 'b', 'c'))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }, { itemIdentifier: 'c' }],
    })
  })
})

describe('directReply', () => {
  it('is the documented degraded object', () => {
    expect(directReply(busy)).toEqual({
      ok: false, degraded: true, statusCode: 503, errorType: 'AllTargetsFailedError',
      message: 'Busy, try again soon.', retryAfterSeconds: 7, requestId: 'req-1',
    })
    expect(directReply(bad)).not.toHaveProperty('retryAfterSeconds')
  })
})

describe('shapeReply', () => {
  it.each<[EventSource, unknown]>([
    ['apigw-rest', restEvent()],
    ['apigw-http', httpApiEvent()],
    ['function-url', functionUrlEvent()],
  ])('shapes %s as an HTTP proxy result', (source, event) => {
    expect(shapeReply(source, busy, event)).toEqual(httpReply(busy))
  })

  it('dispatches alb, sqs and direct', () => {
    expect(shapeReply('alb', busy, albEvent())).toEqual(albReply(busy, albEvent()))
    expect(shapeReply('sqs', busy, sqsEvent('m'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm' }] })
    expect(shapeReply('direct', busy, directEvent())).toEqual(directReply(busy))
  })

  it('falls back to the direct shape when the source does not match the event', () => {
    expect(shapeReply('sqs', busy, directEvent())).toEqual(directReply(busy))
    expect(shapeReply('alb', busy, undefined)).toEqual(directReply(busy))
  })
})

describe('requestIdFor', () => {
  it('prefers the Lambda request id, then API Gateway\'s, then says unknown', () => {
    expect(requestIdFor(restEvent(), lambdaContext('aws-req'))).toBe('aws-req')
    expect(requestIdFor(restEvent(), {})).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef')
    expect(requestIdFor(httpApiEvent(), undefined)).toBe('JKJaXmPLvHcESHA=')
    expect(requestIdFor(sqsEvent('m'), {})).toBe('unknown')
  })
})
