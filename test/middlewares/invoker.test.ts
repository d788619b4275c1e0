/**
 * `context.bedrock` as a handler sees it behind router() + fallback() in a real Middy handler, with every
 * BedrockRuntimeClient mocked: what converse/invokeModel return, which route and model they use, what exactly is
 * sent (re-ask, target limits, raw bodies), and that one client per region is reused across invocations.
 */
import {
  BedrockRuntimeClient, ConverseCommand, InvokeModelCommand, ServiceUnavailableException,
  type ConverseCommandInput, type ConverseCommandOutput, type InvokeModelCommandOutput, type Message,
} from '@aws-sdk/client-bedrock-runtime'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { BreakwaterConfigError } from '../../src/core/errors.js'
import type { BedrockInvoker } from '../../src/aws/bedrock-api.js'
import { fallback } from '../../src/middlewares/fallback.js'
import { router, type BreakwaterContext, type RouterOptions } from '../../src/middlewares/router.js'
import { directEvent, lambdaContext } from '../support/events.js'

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0'
const NOVA = 'amazon.nova-micro-v1:0'
const routes: RouterOptions['routes'] = {
  default: [`${HAIKU}@us-east-1`, `${HAIKU}@us-west-2`],
  cheap: [{ model: NOVA, region: 'eu-west-1', maxTokens: 256, maxMessages: 3 }],
  tiered: [`${HAIKU}@us-east-1`, { model: NOVA, region: 'us-west-2', maxTokens: 100 }],
  raw: { targets: [`${HAIKU}@us-east-1`, `${HAIKU}@us-west-2`], invokeModel: true },
  mixed: [`${HAIKU}@us-east-1`, `${NOVA}@us-west-2`],
}

const bedrock = mockClient(BedrockRuntimeClient)
beforeEach(() => bedrock.reset())
afterAll(() => bedrock.restore())

const user = (text: string): Message => ({ role: 'user', content: [{ text }] })
const assistant = (text: string): Message => ({ role: 'assistant', content: [{ text }] })
const answer = (...texts: string[]): ConverseCommandOutput => ({
  output: { message: { role: 'assistant', content: texts.map((text) => ({ text })) } }, stopReason: 'end_turn',
  usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 }, metrics: { latencyMs: 85 }, $metadata: { requestId: 'r-1' },
})
const down = (): ServiceUnavailableException => new ServiceUnavailableException({ message: 'unavailable', $metadata: {} })
/** Fails every call sent to `region`, answers the others. */
const failIn = (region: string, ok: () => unknown) => async (_input: unknown, getClient: () => BedrockRuntimeClient) => {
  if ((await getClient().config.region()) === region) throw down()
  return ok()
}
const sent = (i: number): ConverseCommandInput => bedrock.commandCalls(ConverseCommand)[i]!.args[0].input

/** A real Middy handler that hands `context.bedrock` to `use`. */
function handlerFor<T>(use: (bedrock: BedrockInvoker) => Promise<T>, options: Partial<RouterOptions> = {}) {
  return middy(async (_event: unknown, context: Context) => use((context as BreakwaterContext).bedrock))
    .use([router({ routes, ...options }), fallback()])
}
const run = <T>(use: (bedrock: BedrockInvoker) => Promise<T>, options: Partial<RouterOptions> = {}): Promise<T> =>
  handlerFor(use, options)(directEvent(), lambdaContext())

describe('converse', () => {
  it('returns the SDK output plus the joined text and where it was served', async () => {
    bedrock.on(ConverseCommand).resolves(answer('Hel', 'lo'))
    const reply = await run((b) => b.converse({ messages: [user('hi')] }))
    expect(reply).toEqual({
      ...answer('Hel', 'lo'),
      text: 'Hello',
      served: { route: 'default', model: HAIKU, region: 'us-east-1', attempts: 1, degraded: false, degradations: [] },
    })
    expect(sent(0)).toEqual({ messages: [user('hi')], modelId: HAIKU })
  })

  it('options.route picks another route; defaultRoute changes the default; an unknown route is a config error', async () => {
    bedrock.on(ConverseCommand).resolves(answer('ok'))
    const viaOption = await run((b) => b.converse({ messages: [user('hi')] }, { route: 'cheap' }))
    expect(viaOption.served).toMatchObject({ route: 'cheap', model: NOVA, region: 'eu-west-1' })
    const viaDefault = await run(async (b) => ({ reply: await b.converse({ messages: [user('hi')] }) }), { defaultRoute: 'cheap' })
    expect(viaDefault.reply.served).toMatchObject({ route: 'cheap', model: NOVA })
    expect(bedrock.commandCalls(ConverseCommand).map((c) => c.args[0].input.modelId)).toEqual([NOVA, NOVA])

    bedrock.resetHistory()
    const error = await run((b) => b.converse({ messages: [user('hi')] }, { route: 'chat' })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BreakwaterConfigError)
    expect(error).toMatchObject({ source: 'breakwater/router', field: 'route' })
    expect((error as Error).message)
      .toBe('breakwater/router: option "route" "chat" is not a configured route (have: default, cheap, tiered, raw, mixed)')
    expect(bedrock.calls()).toHaveLength(0)
  })

  it('a reply rejected by validate is re-asked on the same target with the reason added to system', async () => {
    bedrock.on(ConverseCommand).resolvesOnce(answer('Sure! {"total": 3}')).resolvesOnce(answer('{"total": 3}'))
    const reason = (() => { try { JSON.parse('Sure! {"total": 3}') } catch (e) { return (e as Error).message } return '' })()
    const input = { system: [{ text: 'Reply with JSON only.' }], messages: [user('How many orders?')] }
    const seen: string[] = []
    const reply = await run((b) => b.converse(input, { validate: (text) => { seen.push(text); JSON.parse(text) } }))

    expect(seen).toEqual(['Sure! {"total": 3}', '{"total": 3}'])
    expect(reply.text).toBe('{"total": 3}')
    expect(reply.served).toEqual({ route: 'default', model: HAIKU, region: 'us-east-1', attempts: 2, degraded: false, degradations: [] })
    expect(sent(0)).toEqual({ ...input, modelId: HAIKU })
    expect(sent(1)).toEqual({
      messages: input.messages,
      system: [
        { text: 'Reply with JSON only.' },
        { text: `Your previous reply was rejected: ${reason}. Reply again, following the required output format exactly.` },
      ],
      modelId: HAIKU,
    })
    expect(input.system).toEqual([{ text: 'Reply with JSON only.' }])
  })

  it('applies each target\'s maxTokens / maxMessages to what is sent, without touching the caller\'s input', async () => {
    bedrock.on(ConverseCommand).resolves(answer('ok'))
    const messages = [user('u1'), assistant('a1'), user('u2'), assistant('a2'), user('u3')]
    const input = { messages, inferenceConfig: { maxTokens: 1000, temperature: 0.2 } }
    await run((b) => b.converse(input, { route: 'cheap' }))
    expect(sent(0)).toEqual({
      messages: [user('u2'), assistant('a2'), user('u3')],
      inferenceConfig: { maxTokens: 256, temperature: 0.2 },
      modelId: NOVA,
    })
    expect(input).toEqual({ messages, inferenceConfig: { maxTokens: 1000, temperature: 0.2 } })

    bedrock.reset()
    bedrock.on(ConverseCommand).callsFake(failIn('us-east-1', () => answer('small')))
    const reply = await run((b) => b.converse(input, { route: 'tiered' }))
    expect(sent(0)).toEqual({ ...input, modelId: HAIKU })
    expect(sent(1)).toEqual({ messages, inferenceConfig: { maxTokens: 100, temperature: 0.2 }, modelId: NOVA })
    expect(reply.served).toMatchObject({ model: NOVA, region: 'us-west-2', attempts: 2, degraded: 'fallback-target' })
  })
})

describe('invokeModel', () => {
  const body = new TextEncoder().encode(JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: [] }))
  const output = {
    body: new TextEncoder().encode('{"content":[]}'),
    contentType: 'application/json',
    $metadata: {},
  } as unknown as InvokeModelCommandOutput

  it('on a route mixing model families throws a config error before any call', async () => {
    const error = await run((b) => b.invokeModel({ body }, { route: 'mixed' })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BreakwaterConfigError)
    expect(error).toMatchObject({ source: 'breakwater/router', field: 'routes.mixed' })
    expect((error as Error).message).toContain('mixes model families (anthropic.claude, amazon.nova)')
    expect(bedrock.calls()).toHaveLength(0)
  })

  it('on a single-family route passes the body through with the route\'s modelId, falling back within the family', async () => {
    bedrock.on(InvokeModelCommand).callsFake(failIn('us-east-1', () => output))
    const reply = await run((b) => b.invokeModel({ body, contentType: 'application/json', accept: 'application/json' }, { route: 'raw' }))
    const inputs = bedrock.commandCalls(InvokeModelCommand).map((c) => c.args[0].input)
    expect(inputs).toEqual([
      { body, contentType: 'application/json', accept: 'application/json', modelId: HAIKU },
      { body, contentType: 'application/json', accept: 'application/json', modelId: HAIKU },
    ])
    expect(inputs[1]!.body).toBe(body)
    expect(reply).toEqual({
      ...output,
      served: {
        route: 'raw', model: HAIKU, region: 'us-west-2', attempts: 2, degraded: 'fallback-target', degradations: ['fallback-target'],
      },
    })
  })
})

describe('clients', () => {
  it('uses exactly one BedrockRuntimeClient per region, with maxAttempts 1, across many invocations and routes', async () => {
    bedrock.on(ConverseCommand).callsFake(failIn('us-east-1', () => answer('ok')))
    const handler = handlerFor(async (b) => {
      await b.converse({ messages: [user('hi')] })
      return b.converse({ messages: [user('hi')] }, { route: 'tiered' })
    })
    for (let i = 0; i < 5; i++) await handler(directEvent(), lambdaContext())

    const clients = bedrock.calls().map((c) => c.thisValue as BedrockRuntimeClient)
    expect(clients).toHaveLength(20)
    const distinct = [...new Set(clients)]
    expect(distinct).toHaveLength(2)
    expect(await Promise.all(distinct.map((c) => c.config.region()))).toEqual(['us-east-1', 'us-west-2'])
    expect(await Promise.all(distinct.map((c) => c.config.maxAttempts()))).toEqual([1, 1])
  })
})
