/**
 * Scenario 10: the same outage answered in the shape each event source reads — an SQS batch reports every message
 * as failed, a direct invoke gets the documented degraded object, an ALB gets a 503 with its statusDescription.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { albEvent, directEvent, functionUrlEvent, restEvent, sqsEvent } from '../support/events.js'
import { at, chatHandler, countdown, EAST, regionsOf, WEST } from '../support/scenario.js'

let server: FakeBedrock
beforeAll(async () => { server = await FakeBedrock.start() })
beforeEach(() => {
  server.reset()
  server.plan([{ kind: 'unavailable' }])
})
afterAll(async () => { await server.stop() })

const REQUEST_ID = 'event-source-0001'
const BUSY = 'The assistant is busy right now. Please try again in a moment.'
const options = { routes: { default: [at(EAST), at(WEST)] }, backoff: { baseMs: 1 } }
const busyBody = JSON.stringify({ message: BUSY, retryAfterSeconds: 5, requestId: REQUEST_ID })

describe('everything down, per event source', () => {
  it('SQS batch failing as a whole → batchItemFailures lists every messageId', async () => {
    const chat = chatHandler(server, options, { perRecord: true })
    const result = await chat.invoke(sqsEvent('m-1', 'm-2', 'm-3'), countdown(3_000, REQUEST_ID).context)

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }, { itemIdentifier: 'm-3' }] })
    // The first record's cascade failed and ended the batch: the other records made no call.
    expect(regionsOf(server.calls)).toEqual([EAST, EAST, WEST, WEST, WEST])
  })

  it('direct invoke → the documented degraded object', async () => {
    const result = await chatHandler(server, options).invoke(directEvent(), countdown(3_000, REQUEST_ID).context)
    expect(result).toEqual({
      ok: false, degraded: true, statusCode: 503, errorType: 'AllTargetsFailedError', message: BUSY,
      retryAfterSeconds: 5, requestId: REQUEST_ID,
    })
  })

  it('ALB → 503 with statusDescription and headers', async () => {
    const result = await chatHandler(server, options).invoke(albEvent(), countdown(3_000, REQUEST_ID).context)
    expect(result).toEqual({
      statusCode: 503, statusDescription: '503 Service Unavailable', isBase64Encoded: false,
      headers: { 'content-type': 'application/json', 'retry-after': '5' }, body: busyBody,
    })
  })

  it('ALB with multi-value headers → the same reply in multiValueHeaders', async () => {
    const result = await chatHandler(server, options).invoke(albEvent(true), countdown(3_000, REQUEST_ID).context)
    expect(result).toEqual({
      statusCode: 503, statusDescription: '503 Service Unavailable', isBase64Encoded: false,
      multiValueHeaders: { 'content-type': ['application/json'], 'retry-after': ['5'] }, body: busyBody,
    })
  })

  it.each([
    ['REST API', restEvent()],
    ['function URL', functionUrlEvent()],
  ])('%s → 503 with retry-after', async (_name, event) => {
    const result = await chatHandler(server, options).invoke(event, countdown(3_000, REQUEST_ID).context)
    expect(result).toEqual({ statusCode: 503, headers: { 'content-type': 'application/json', 'retry-after': '5' }, body: busyBody })
  })
})
