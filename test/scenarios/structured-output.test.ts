/**
 * Structured output through a real Middy handler, the breakwater() preset and the fake Bedrock: a reply that is not
 * valid JSON for the schema is re-asked on the same target with the reason and the schema in `system`; after
 * `fallback.malformedRetries` re-asks the next target is tried; `reply.json` is the parsed value.
 */
import { describe, expect, it } from '@jest/globals'
import type { SystemContentBlock } from '@aws-sdk/client-bedrock-runtime'
import middy from '@middy/core'
import { breakwater, type BreakwaterContext, type BreakwaterOptions, type JsonSchema, type Served } from '../../src/index.js'
import { AllTargetsFailedError, BreakwaterConfigError } from '../../src/core/errors.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { httpApiEvent, lambdaContext } from '../support/events.js'
import type { FakeBedrock, CallRecord } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { ask, at, EAST, parseBody, regionsOf, WEST, type ChatResult } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

interface Order { readonly total: number; readonly items: readonly string[] }
const ORDER: JsonSchema = {
  type: 'object', required: ['total', 'items'], additionalProperties: false,
  properties: { total: { type: 'integer' }, items: { type: 'array', items: { type: 'string' } } },
}
const GOOD = '```json\n{"total": 2, "items": ["tea", "cake"]}\n```'
const routes = { default: [at(EAST), at(WEST)] }
const systemOf = (call: CallRecord | undefined): string[] =>
  (((call?.body as { system?: SystemContentBlock[] } | undefined)?.system) ?? []).map((b) => b.text ?? '')

function orderHandler(options: Omit<BreakwaterOptions, 'client' | 'routes'> = {}, schema: JsonSchema = ORDER) {
  const errors: unknown[] = []
  const handler = middy(async (_event: unknown, context: BreakwaterContext, { signal }: { signal: AbortSignal }) => {
    try {
      const reply = await context.bedrock.converse<Order>(
        { ...ask('my order?'), system: [{ text: 'Answer in JSON.' }] },
        { responseSchema: schema, signal },
      )
      const total: number = reply.json.total // typed by the generic
      return { statusCode: 200, body: JSON.stringify({ json: reply.json, total, text: reply.text, served: reply.served }) }
    } catch (error) {
      errors.push(error)
      throw error
    }
  }).use(breakwater({ routes, backoff: { baseMs: 1 }, ...options, client: { clientConfig: fakeClientConfig(server) } }))
  const invoke = async (): Promise<ChatResult> => (await handler(httpApiEvent(), lambdaContext() as BreakwaterContext)) as ChatResult
  return { invoke, errors }
}

describe('structured output', () => {
  it('a first reply that is not JSON is re-asked with the reason and the schema in system; the second → 200 with json', async () => {
    let n = 0
    server.replyWith(() => (++n === 1 ? 'Sure! Your order: {"total": 2}' : GOOD))
    const result = await orderHandler().invoke()

    expect(result.statusCode).toBe(200)
    const body = parseBody(result) as { json: Order; total: number; text: string; served: Served }
    expect(body.json).toEqual({ total: 2, items: ['tea', 'cake'] })
    expect(body.total).toBe(2)
    expect(body.text).toBe(GOOD)
    expect(body.served)
      .toEqual({ route: 'default', model: body.served.model, region: EAST, attempts: 2, degraded: false, degradations: [] })
    expect(regionsOf(server.calls)).toEqual([EAST, EAST])
    expect(systemOf(server.calls[0])).toEqual(['Answer in JSON.'])
    const [mine, reask] = systemOf(server.calls[1])
    expect(mine).toBe('Answer in JSON.')
    expect(reask).toBe('Your previous reply was rejected: the reply is not valid JSON (only a JSON value, no prose). Reply again, '
      + `following the required output format exactly. Reply with only a JSON value, no prose, matching this JSON Schema: ${JSON.stringify(ORDER)}`)
  })

  it('JSON that does not match the schema: ajv\'s reason is what the re-ask says', async () => {
    let n = 0
    server.replyWith(() => (++n === 1 ? '{"total": "two", "items": []}' : GOOD))
    expect((await orderHandler().invoke()).statusCode).toBe(200)
    expect(systemOf(server.calls[1])[1]).toContain('rejected: the reply does not match the schema: reply/total must be integer.')
  })

  it('malformed twice on the first target (1 re-ask) → the next target serves, asked without the re-ask', async () => {
    server.replyWith((c) => (c.region === EAST ? 'I cannot answer in JSON.' : GOOD))
    const result = await orderHandler().invoke()

    expect(result.statusCode).toBe(200)
    expect(parseBody(result)).toMatchObject({ json: { total: 2 }, served: { region: WEST, attempts: 3, degraded: 'fallback-target' } })
    expect(regionsOf(server.calls)).toEqual([EAST, EAST, WEST])
    // The next model never replied: it gets the caller's request, not "your previous reply was rejected".
    expect(systemOf(server.calls[2])).toHaveLength(1)
  })

  it('fallback.malformedRetries: 2 re-asks twice per target, replacing its instruction each time', async () => {
    let n = 0
    server.replyWith(() => (++n < 3 ? `not json ${n}` : GOOD))
    const result = await orderHandler({ fallback: { malformedRetries: 2 } }).invoke()
    expect(parseBody(result)).toMatchObject({ served: { region: EAST, attempts: 3, degraded: false } })
    expect(systemOf(server.calls[2])).toHaveLength(2)
  })

  it('malformed everywhere → 503 (AllTargetsFailedError, last class malformed-output); the breaker is not tripped', async () => {
    server.replyWith(() => 'nope')
    const chat = orderHandler({ breaker: { consecutiveFailures: 1 } })
    const result = await chat.invoke()
    expect(result.statusCode).toBe(503)
    expect(chat.errors[0]).toBeInstanceOf(AllTargetsFailedError)
    expect(chat.errors[0]).toMatchObject({ lastClass: 'malformed-output' })
    expect(regionsOf(server.calls)).toEqual([EAST, EAST, WEST, WEST])

    server.replyWith(() => GOOD)
    expect(parseBody(await chat.invoke())).toMatchObject({ served: { region: EAST, attempts: 1 } })
  })

  it('an invalid schema is a BreakwaterConfigError before any call (a programming error: it propagates)', async () => {
    const chat = orderHandler({}, { type: 'whole-number' })
    await expect(chat.invoke()).rejects.toBeInstanceOf(BreakwaterConfigError)
    expect(chat.errors[0]).toMatchObject({ field: 'responseSchema' })
    expect(server.calls).toHaveLength(0)
  })
})
