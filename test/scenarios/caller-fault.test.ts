/**
 * Scenario 5: the request itself is wrong (a generic ValidationException): the caller gets its 400 after exactly one
 * call, no retry, no other region, and the breaker does not count it. AccessDenied and ResourceNotFound are granted
 * per region (model access, model availability): another region is tried, and the 403/404 comes only when every
 * region refuses.
 */
import { describe, expect, it } from '@jest/globals'
import { CallerFaultError } from '../../src/core/errors.js'
import type { FakeBedrock, FaultKind } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { at, chatHandler, EAST, HAIKU, parseBody, regionsOf, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }

describe('caller faults', () => {
  it('ValidationException → 400 after exactly one call', async () => {
    server.plan([{ kind: 'validation' }])
    const chat = chatHandler(server, { routes })
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(400)
    expect(result.headers).toEqual({ 'content-type': 'application/json' })
    expect(parseBody(result)).not.toHaveProperty('retryAfterSeconds')
    expect(regionsOf(server.calls)).toEqual([EAST])
    expect(chat.errors[0]).toBeInstanceOf(CallerFaultError)
  })

  it.each([
    ['access-denied', 403],
    ['not-found', 404],
  ] as [FaultKind, number][])('%s everywhere → %i after one call per region, no retry', async (kind, status) => {
    server.plan([{ kind }])
    const result = await chatHandler(server, { routes }).invoke(httpApiEvent())
    expect(result.statusCode).toBe(status)
    expect(regionsOf(server.calls)).toEqual([EAST, WEST])
  })

  it('access-denied in one region only → served by the other, and the breaker does not count it', async () => {
    const chat = chatHandler(server, { routes, breaker: { consecutiveFailures: 1 } })
    server.plan([{ kind: 'access-denied', region: EAST }])
    const result = await chat.invoke(httpApiEvent())
    expect(result.statusCode).toBe(200)
    expect(parseBody(result)).toMatchObject({ served: { region: WEST, degraded: 'fallback-target' } })
    server.plan([])
    await chat.invoke(httpApiEvent())
    expect(regionsOf(server.calls)).toEqual([EAST, WEST, EAST])
  })

  it('many ValidationExceptions never open the breaker: the next healthy call still goes to us-east-1', async () => {
    const chat = chatHandler(server, { routes, breaker: { consecutiveFailures: 2, minimumCalls: 2, failureRateThreshold: 0.5 } })
    server.plan([{ kind: 'validation', region: EAST }])
    for (let i = 0; i < 6; i++) expect((await chat.invoke(httpApiEvent())).statusCode).toBe(400)
    server.plan([])
    const result = await chat.invoke(httpApiEvent())

    expect(parseBody(result)).toMatchObject({ served: { region: EAST, attempts: 1, degraded: false } })
    expect(server.callsTo({ region: EAST })).toBe(7)
    expect(server.callsTo({ region: WEST })).toBe(0)
  })

  it('control: two 503s do open it with the same breaker options', async () => {
    const chat = chatHandler(server, { routes, breaker: { consecutiveFailures: 2, minimumCalls: 2, failureRateThreshold: 0.5 } })
    server.plan([{ kind: 'unavailable', region: EAST, times: 2 }])
    for (let i = 0; i < 2; i++) await chat.invoke(httpApiEvent())
    const result = await chat.invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({ served: { region: WEST, attempts: 1, degraded: 'fallback-target' } })
    expect(server.callsTo({ region: EAST })).toBe(2)
  })

  // Bedrock's own 4xx text can name the account, the Lambda role and the model ARN: it stays in the logs only.
  it('the upstream message of a 4xx (account id, role, model ARN) never reaches the caller', async () => {
    server.plan([{ kind: 'access-denied', message: ACCESS_DENIED }])
    const result = await chatHandler(server, { routes }).invoke(httpApiEvent())
    expect(result.statusCode).toBe(403)
    expect(result.body).not.toContain('123456789012')
    expect(result.body).not.toContain('chat-fn-role')
    expect(result.body).not.toContain(HAIKU)
    expect(JSON.parse(result.body as string))
      .toMatchObject({ message: 'This service is not allowed to use the model. (AccessDeniedException)' })
  })
})

const ACCESS_DENIED = 'User: arn:aws:sts::123456789012:assumed-role/chat-fn-role/chat is not authorized to perform: '
  + `bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/${HAIKU} because no identity-based policy allows the bedrock:InvokeModel action`
