/**
 * The fake's service tiers on the wire, driven by the real SDK: refusals as the real service words them, and the
 * served tier echoed where each operation carries it (Converse body, stream metadata, InvokeModel headers).
 */
import {
  ConverseCommand, ConverseStreamCommand, InvokeModelCommand, ValidationException, type BedrockRuntimeClient,
} from '@aws-sdk/client-bedrock-runtime'
import { testClient } from '../../tools/fake-bedrock/bedrock-client.js'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { TIER_REFUSALS } from '../../tools/fake-bedrock/fake-bedrock-tiers.js'

const MODEL = 'amazon.nova-pro-v1:0'
const messages = [{ role: 'user' as const, content: [{ text: 'hi' }] }]

describe('fake Bedrock service tiers', () => {
  let server: FakeBedrock
  let east: BedrockRuntimeClient
  beforeAll(async () => {
    server = await FakeBedrock.start()
    east = testClient(server, 'us-east-1')
  })
  afterEach(() => server.reset())
  afterAll(async () => {
    east.destroy()
    await server.stop()
  })

  const refusal = async (send: Promise<unknown>): Promise<string> => {
    const error = await send.then(() => undefined, (e: unknown) => e)
    if (!(error instanceof ValidationException)) throw new Error(`expected a ValidationException, got ${String(error)}`)
    return error.message
  }

  it('refuses a tier or latency its rule does not offer, with the real wording; reserved without a reservation too', async () => {
    server.tiers([{ model: MODEL, region: 'us-east-1', tiers: ['default', 'flex'], latencies: ['standard'] }])
    const converse = (extra: object) => east.send(new ConverseCommand({ modelId: MODEL, messages, ...extra }))
    expect(await refusal(converse({ serviceTier: { type: 'priority' } }))).toBe(TIER_REFUSALS.tier.message)
    expect(await refusal(converse({ serviceTier: { type: 'reserved' } }))).toBe('Reservation not found.')
    expect(await refusal(converse({ performanceConfig: { latency: 'optimized' } }))).toBe(TIER_REFUSALS.latency.message)
    const served = await converse({ serviceTier: { type: 'flex' } })
    expect(served.serviceTier).toEqual({ type: 'flex' })
    expect(server.calls.map((c) => c.serviceTier)).toEqual(['priority', 'reserved', undefined, 'flex'])
  })

  it('another model or region is served as asked; a call that asks nothing is echoed nothing', async () => {
    server.tiers([{ model: MODEL, region: 'us-west-2', tiers: ['default'] }])
    const asked = await east.send(new ConverseCommand({ modelId: MODEL, messages, serviceTier: { type: 'priority' } }))
    expect(asked.serviceTier).toEqual({ type: 'priority' })
    const plain = await east.send(new ConverseCommand({ modelId: MODEL, messages }))
    expect(plain.serviceTier).toBeUndefined()
    expect(plain.performanceConfig).toBeUndefined()
  })

  it('servesTier and servesLatency downgrade silently, as the stream metadata and InvokeModel headers say', async () => {
    server.tiers([{ servesTier: 'default', servesLatency: 'standard' }])
    const stream = await east.send(new ConverseStreamCommand({
      modelId: MODEL, messages, serviceTier: { type: 'priority' }, performanceConfig: { latency: 'optimized' },
    }))
    let metadata: unknown
    for await (const event of stream.stream ?? []) if (event.metadata) metadata = event.metadata
    expect(metadata).toMatchObject({ serviceTier: { type: 'default' }, performanceConfig: { latency: 'standard' } })
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] })
    const invoke = new InvokeModelCommand({ modelId: MODEL, body, serviceTier: 'priority', performanceConfigLatency: 'optimized' })
    const invoked = await east.send(invoke)
    expect(invoked.serviceTier).toBe('default')
    expect(invoked.performanceConfigLatency).toBe('standard')
    expect(server.calls.map((c) => [c.serviceTier, c.latency])).toEqual([['priority', 'optimized'], ['priority', 'optimized']])
  })
})
