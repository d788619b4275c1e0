import { describe, expect, it } from '@jest/globals'
import { detectEventSource } from '../../src/responders/detect.js'
import { albEvent, directEvent, functionUrlEvent, httpApiEvent, restEvent, sqsEvent } from '../support/events.js'

describe('detectEventSource', () => {
  it.each([
    ['apigw-rest', restEvent()],
    ['apigw-http', httpApiEvent()],
    ['function-url', functionUrlEvent()],
    ['alb', albEvent()],
    ['alb', albEvent(true)],
    ['sqs', sqsEvent('m-1', 'm-2')],
    ['direct', directEvent()],
  ])('tells %s by its shape', (source, event) => {
    expect(detectEventSource(event)).toBe(source)
  })

  it('treats an HTTP API payload 1.0 (v1 shape) as the REST shape', () => {
    expect(detectEventSource({ ...restEvent(), version: '1.0' })).toBe('apigw-rest')
  })

  it('tells an HTTP API on a custom domain from a function URL', () => {
    const event = httpApiEvent()
    event.requestContext.domainName = 'chat.example.com'
    expect(detectEventSource(event)).toBe('apigw-http')
  })

  it('does not take a look-alike lambda-url path segment for a function URL domain', () => {
    const event = httpApiEvent()
    event.requestContext.domainName = 'x.lambda-url.us-east-1.on.aws.example.com'
    expect(detectEventSource(event)).toBe('apigw-http')
  })

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'hello'],
    ['an array', [1, 2]],
    ['an empty Records batch', { Records: [] }],
    ['an SNS batch', { Records: [{ EventSource: 'aws:sns', Sns: {} }] }],
    ['a v2-looking object without requestContext.http', { version: '2.0', requestContext: {} }],
    ['an httpMethod without requestContext', { httpMethod: 'GET' }],
  ])('calls %s direct', (_label, event) => {
    expect(detectEventSource(event)).toBe('direct')
  })
})
