/**
 * Stop reasons are outcomes, through a real Middy handler, the breakwater() preset and the fake Bedrock answering
 * with a chosen `stopReason`: a guardrail's or the content filter's reply is served flagged (`served.intervened`),
 * once, never cached, counted as `GuardrailInterventions`; `model_context_window_exceeded` shortens the history on
 * the same target; `malformed_tool_use` moves on; `max_tokens` under a `responseSchema` is malformed and moves on.
 */
import { describe, expect, it, jest } from '@jest/globals'
import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics } from '@aws-lambda-powertools/metrics'
import middy from '@middy/core'
import { breakwater, type BreakwaterContext, type JsonSchema } from '../../src/index.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { BLOCKED_MESSAGE, type FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { httpApiEvent, lambdaContext } from '../support/events.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { at, chatHandler, EAST, history, messagesSent, parseBody, regionsOf, WEST, ask, type ChatResult } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }
const cache = { maxEntries: 10, ttlMs: 60_000 }

function observed() {
  const logger = new Logger({ serviceName: 'stop-reasons' })
  const metrics = new Metrics({ namespace: 'StopReasons', serviceName: 'stop-reasons' })
  const logged = jest.spyOn(logger, 'info').mockImplementation(() => undefined)
  jest.spyOn(logger, 'warn').mockImplementation(() => undefined)
  const added = jest.spyOn(metrics, 'addMetric').mockImplementation(() => metrics)
  const counted = (name: string): number => added.mock.calls.filter(([n]) => n === name).length
  return { logger, metrics, logged, counted }
}

describe('guardrail_intervened and content_filtered', () => {
  it('served flagged from the first target, one call, counted; the prompt and its text reach no log', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'guardrail_intervened', message: 'Blocked: you asked about secret-topic.' }])
    const o = observed()
    const chat = chatHandler(server, { routes, logger: o.logger, metrics: o.metrics }, { input: ask('tell me about secret-topic') })
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(200)
    expect(parseBody(result)).toEqual({
      text: 'Blocked: you asked about secret-topic.',
      served: {
        route: 'default', model: expect.any(String), region: EAST, attempts: 1, degraded: false, degradations: [], intervened: 'guardrail',
      },
    })
    expect(regionsOf(server.calls)).toEqual([EAST]) // neither retried nor moved on
    expect(o.counted('GuardrailInterventions')).toBe(1)
    expect(o.logged).toHaveBeenCalledWith(expect.stringContaining('intervention'), expect.objectContaining({ intervention: 'guardrail' }))
    expect(JSON.stringify(o.logged.mock.calls)).not.toContain('secret-topic')
  })

  it('content_filtered is flagged content-filter', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'content_filtered' }])
    const result = await chatHandler(server, { routes }).invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({ text: BLOCKED_MESSAGE, served: { region: EAST, intervened: 'content-filter' } })
    expect(server.callsTo()).toBe(1)
  })

  it('never cached: after an intervention, everything down → 503, not the blocked message', async () => {
    const chat = chatHandler(server, { routes, backoff: { baseMs: 1 }, fallback: { cache } })
    server.plan([{ kind: 'stop-reason', stopReason: 'guardrail_intervened' }])
    expect(parseBody(await chat.invoke(httpApiEvent()))).toMatchObject({ served: { intervened: 'guardrail' } })
    server.plan([{ kind: 'unavailable' }])
    expect((await chat.invoke(httpApiEvent())).statusCode).toBe(503)
  })

  it('with a responseSchema there is no answer to validate: 422, one call, not re-asked', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'guardrail_intervened' }])
    const result = await structured().invoke()
    expect(result.statusCode).toBe(422)
    expect(parseBody(result)).toEqual({ message: 'The request was blocked by a content policy.', requestId: expect.any(String) })
    expect(server.callsTo()).toBe(1)
  })
})

describe('model_context_window_exceeded', () => {
  it('is context overflow: the history is shortened and the same target serves', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'model_context_window_exceeded', whenLongerThan: { messages: 4 } }])
    const chat = chatHandler(server, { routes }, { input: { messages: history(9) } })
    const result = await chat.invoke(httpApiEvent())

    expect(parseBody(result)).toMatchObject({ served: { region: EAST, attempts: 2, degraded: 'truncated-context' } })
    expect(regionsOf(server.calls)).toEqual([EAST, EAST])
    expect(server.calls.map((c) => messagesSent(c).length)).toEqual([9, 3])
  })
})

describe('malformed_model_output and malformed_tool_use', () => {
  it.each(['malformed_model_output', 'malformed_tool_use'])('%s is malformed output: the next target, not re-asked', async (stopReason) => {
    server.plan([{ kind: 'stop-reason', stopReason, region: EAST }])
    const result = await chatHandler(server, { routes }).invoke(httpApiEvent())

    expect(parseBody(result)).toMatchObject({ served: { region: WEST, attempts: 2, degraded: 'fallback-target' } })
    expect(regionsOf(server.calls)).toEqual([EAST, WEST])
    expect(server.calls[1]?.body).toEqual(server.calls[0]?.body)
  })
})

describe('max_tokens', () => {
  it('with a responseSchema, a cut reply is malformed: the next target at once, not re-asked at the same maxTokens', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'max_tokens', region: EAST }])
    server.replyWith((c) => (c.region === EAST ? '{"total": 4' : '{"total": 42}'))
    const result = await structured().invoke()

    expect(parseBody(result)).toMatchObject({ json: { total: 42 }, served: { region: WEST, attempts: 2 } })
    expect(regionsOf(server.calls)).toEqual([EAST, WEST])
    expect(server.calls[1]?.body).toEqual(server.calls[0]?.body) // no format instructions added
  })

  it('without a schema, a reply cut at maxTokens is the answer asked for', async () => {
    server.plan([{ kind: 'stop-reason', stopReason: 'max_tokens' }])
    const result = await chatHandler(server, { routes }).invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({ served: { region: EAST, attempts: 1, degraded: false } })
  })
})

const TOTAL: JsonSchema = { type: 'object', required: ['total'], properties: { total: { type: 'integer' } } }

/** A handler asking for `{ total }` JSON. */
function structured() {
  const handler = middy(async (_event: unknown, context: BreakwaterContext) => {
    const reply = await context.bedrock.converse(ask('my total?'), { responseSchema: TOTAL })
    return { statusCode: 200, body: JSON.stringify({ json: reply.json, served: reply.served }) }
  }).use(breakwater({ routes, backoff: { baseMs: 1 }, client: { clientConfig: fakeClientConfig(server) } }))
  return { invoke: async (): Promise<ChatResult> => (await handler(httpApiEvent(), lambdaContext() as BreakwaterContext)) as ChatResult }
}
