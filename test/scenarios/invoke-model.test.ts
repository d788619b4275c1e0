/**
 * Scenario 11: invokeModel() with a raw, model-specific body. On a route of one model family it works over the wire
 * and falls back between regions; on a route mixing families it throws a clear BreakwaterConfigError before any call
 * (a raw body written for one family is not valid for another).
 */
import middy from '@middy/core'
import { describe, expect, it } from '@jest/globals'
import { breakwater, BreakwaterConfigError, type BreakwaterContext, type BreakwaterOptions, type Served } from '../../src/index.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { directEvent, lambdaContext } from '../support/events.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { at, EAST, HAIKU, regionsOf, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const HAIKU_PROFILE = 'us.anthropic.claude-3-5-haiku-20241022-v1:0'
const NOVA = 'amazon.nova-lite-v1:0'
/** An Anthropic Messages body, as InvokeModel takes it for Claude. */
const claudeBody = JSON.stringify({
  anthropic_version: 'bedrock-2023-05-31', max_tokens: 256,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
})

interface Answer { readonly text: string; readonly served: Served }

function invokeHandler(routes: BreakwaterOptions['routes']) {
  return middy(async (_event: unknown, context: BreakwaterContext): Promise<Answer> => {
    const reply = await context.bedrock.invokeModel({ body: claudeBody, contentType: 'application/json', accept: 'application/json' })
    const parsed = JSON.parse(new TextDecoder().decode(reply.body)) as { content: { text: string }[] }
    return { text: parsed.content[0]?.text ?? '', served: reply.served }
  }).use(breakwater({ routes, client: { clientConfig: fakeClientConfig(server) }, degradation: false }))
}
const invoke = (handler: ReturnType<typeof invokeHandler>): Promise<Answer> => handler(directEvent(), lambdaContext() as BreakwaterContext)

describe('invokeModel', () => {
  it('one family (a model id and an inference profile of the same line): served over the wire', async () => {
    const answer = await invoke(invokeHandler({ default: { targets: [at(EAST), at(WEST, HAIKU_PROFILE)], invokeModel: true } }))
    expect(answer).toEqual({
      text: `echo: hello [${HAIKU}@${EAST}]`,
      served: expect.objectContaining({ region: EAST, attempts: 1, degraded: false }),
    })
    expect(server.calls[0]).toMatchObject({ operation: 'invoke', region: EAST, model: HAIKU, body: JSON.parse(claudeBody) })
  })

  it('falls back between regions on a 503', async () => {
    server.plan([{ kind: 'unavailable', region: EAST }])
    const answer = await invoke(invokeHandler({ default: { targets: [at(EAST), at(WEST, HAIKU_PROFILE)], invokeModel: true } }))
    expect(answer).toEqual({
      text: `echo: hello [${HAIKU_PROFILE}@${WEST}]`,
      served: expect.objectContaining({ region: WEST, model: HAIKU_PROFILE, attempts: 3, degraded: 'fallback-target' }),
    })
    expect(regionsOf(server.calls)).toEqual([EAST, EAST, WEST]) // a first 503 is retried at once
    expect(server.calls.map((c) => c.operation)).toEqual(['invoke', 'invoke', 'invoke'])
  })

  it('a mixed-family route throws BreakwaterConfigError at the call, before any request', async () => {
    server.plan([{ kind: 'unavailable', region: EAST }])
    const error = await invoke(invokeHandler({ default: [at(EAST), at(WEST, NOVA)] })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BreakwaterConfigError)
    expect(error).toMatchObject({
      field: 'routes.default', source: 'breakwater/router',
      message: expect.stringMatching(/mixes model families \(anthropic\.claude, amazon\.nova\).*use converse\(\)/),
    })
    expect(server.callsTo()).toBe(0)
  })

  it('a mixed-family route declared `invokeModel: true` is refused when the preset is built', () => {
    let error: unknown
    try {
      invokeHandler({ default: { targets: [at(EAST), at(WEST, NOVA)], invokeModel: true } })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(BreakwaterConfigError)
    expect(error).toMatchObject({ field: 'routes.default.targets', message: expect.stringMatching(/mixes model families/) })
    expect(server.callsTo()).toBe(0)
  })
})
