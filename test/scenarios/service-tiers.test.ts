/**
 * Service tiers over the wire: the real SDK sends a target's `serviceTier` and `performanceConfig` (InvokeModel: its
 * headers) to the fake Bedrock, which refuses what a model and region do not offer and echoes what served. A tier
 * ladder walks past a refused tier without a breaker failure; a silent downgrade is told in `served` and counted as
 * `ServiceTierDowngrades` (a stream's once its last event, `metadata`, says so); each tier of one model and region
 * has a breaker of its own.
 */
import { Metrics } from '@aws-lambda-powertools/metrics'
import middy from '@middy/core'
import { describe, expect, it, jest } from '@jest/globals'
import { breakwater, type BreakwaterContext, type BreakwaterOptions, type Served } from '../../src/index.js'
import { servedSummary } from '../../src/responders/sse-events.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { directEvent, httpApiEvent, lambdaContext } from '../support/events.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { ask, chatHandler, EAST, HAIKU, parseBody } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const PRIORITY = { model: HAIKU, region: EAST, serviceTier: 'priority' } as const
const DEFAULT = { model: HAIKU, region: EAST } as const
const FLEX = { model: HAIKU, region: EAST, serviceTier: 'flex' } as const
const ladder = { default: [PRIORITY, DEFAULT, FLEX] }
const tiersAsked = (): (string | undefined)[] => server.calls.map((c) => c.serviceTier)

describe('service tiers', () => {
  it('a ladder whose priority tier the model does not offer: default serves, and the breaker does not count the refusal', async () => {
    server.tiers([{ model: HAIKU, region: EAST, tiers: ['default', 'flex'] }])
    const chat = chatHandler(server, { routes: ladder, breaker: { consecutiveFailures: 1 } })
    for (let i = 0; i < 3; i++) {
      const result = await chat.invoke(httpApiEvent())
      expect(result.statusCode).toBe(200)
      expect(parseBody(result)).toMatchObject({ served: { model: HAIKU, region: EAST, attempts: 2, degraded: 'fallback-target' } })
    }
    // Priority is asked again every time: one breaker failure would have opened it (consecutiveFailures: 1).
    expect(tiersAsked()).toEqual(['priority', undefined, 'priority', undefined, 'priority', undefined])
    expect(server.calls[0]?.errorType).toBe('ValidationException')
    expect((server.calls[0]?.body as { serviceTier?: unknown }).serviceTier).toEqual({ type: 'priority' })
  })

  it('every step refused: a 400 after one call per step, with our message, not Bedrock\'s', async () => {
    server.tiers([{ model: HAIKU, region: EAST, tiers: ['default'] }])
    const result = await chatHandler(server, { routes: { default: [PRIORITY, FLEX] } }).invoke(httpApiEvent())
    expect(result.statusCode).toBe(400)
    expect(tiersAsked()).toEqual(['priority', 'flex'])
    const message = 'The model does not offer the service tier or latency asked for. (ValidationException)'
    expect(parseBody(result)).toMatchObject({ message })
  })

  it('a silent downgrade (asked priority, served default) is told in served and counted as ServiceTierDowngrades', async () => {
    server.tiers([{ model: HAIKU, region: EAST, servesTier: 'default' }])
    const metrics = new Metrics({ namespace: 'TierTest', serviceName: 'tier-test' })
    const added = jest.spyOn(metrics, 'addMetric').mockImplementation(() => metrics)
    const chat = chatHandler(server, { routes: ladder, metrics })
    const result = await chat.invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({
      served: { attempts: 1, degraded: 'downgraded-tier', degradations: ['downgraded-tier'], serviceTier: 'default' },
    })
    expect(added.mock.calls.filter(([name]) => name === 'ServiceTierDowngrades')).toHaveLength(1)
    expect(tiersAsked()).toEqual(['priority'])
  })

  it('served as asked: the tier is told, nothing degraded, nothing counted', async () => {
    const metrics = new Metrics({ namespace: 'TierTest', serviceName: 'tier-test' })
    const added = jest.spyOn(metrics, 'addMetric').mockImplementation(() => metrics)
    const result = await chatHandler(server, { routes: ladder, metrics }).invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({ served: { degraded: false, serviceTier: 'priority' } })
    expect(added.mock.calls.filter(([name]) => name === 'ServiceTierDowngrades')).toHaveLength(0)
  })

  it('optimized latency served standard is a downgrade too', async () => {
    const optimized = { model: `us.${HAIKU}`, region: 'us-east-2', latency: 'optimized' } as const
    server.tiers([{ servesLatency: 'standard' }])
    const result = await chatHandler(server, { routes: { default: [optimized] } }).invoke(httpApiEvent())
    expect(parseBody(result)).toMatchObject({ served: { degraded: 'downgraded-tier', latency: 'standard' } })
    expect((server.calls[0]?.body as { performanceConfig?: unknown }).performanceConfig).toEqual({ latency: 'optimized' })
  })

  it("each tier is its own breaker: an outage of the priority tier opens it alone, and the default tier's calls go on", async () => {
    server.plan([{ kind: 'unavailable', model: HAIKU, region: EAST, times: 1 }])
    const chat = chatHandler(server, { routes: { default: [PRIORITY, DEFAULT] }, breaker: { consecutiveFailures: 1 } })
    expect(parseBody(await chat.invoke(httpApiEvent()))).toMatchObject({ served: { degraded: 'fallback-target' } })
    const next = await chat.invoke(httpApiEvent())
    // Priority is open (skipped, no call); the default tier serves, still closed after it served the first request.
    expect(parseBody(next)).toMatchObject({ served: { attempts: 1, degraded: 'fallback-target' } })
    expect(tiersAsked()).toEqual(['priority', undefined, undefined])
  })
})

describe('service tiers on the other calls', () => {
  const client = (): BreakwaterOptions['client'] => ({ clientConfig: fakeClientConfig(server) })

  it('ConverseStream sends the tier', async () => {
    const handler = middy(async (_event: unknown, context: BreakwaterContext): Promise<string> => {
      const reply = await context.bedrock.converseStream(ask())
      for await (const _event of reply) { /* read to the end */ }
      return reply.final().text
    }).use(breakwater({ routes: { default: [FLEX] }, client: client(), degradation: false }))
    expect(await handler(directEvent(), lambdaContext() as BreakwaterContext)).toContain('echo: hello')
    expect((server.calls[0]?.body as { serviceTier?: unknown }).serviceTier).toEqual({ type: 'flex' })
  })

  it('a stream served below its tier says so in its metadata event: served and done tell it, ServiceTierDowngrades counts it', async () => {
    server.tiers([{ model: HAIKU, region: EAST, servesTier: 'default' }])
    const metrics = new Metrics({ namespace: 'TierTest', serviceName: 'tier-test' })
    const added = jest.spyOn(metrics, 'addMetric').mockImplementation(() => metrics)
    const handler = middy(async (_event: unknown, context: BreakwaterContext) => {
      const reply = await context.bedrock.converseStream(ask())
      const before = reply.served
      for await (const _event of reply) { /* read to the end: the tier comes in the last event */ }
      return { before, final: reply.final().served }
    }).use(breakwater({ routes: { default: [PRIORITY] }, metrics, client: client(), degradation: false }))
    const { before, final } = await handler(directEvent(), lambdaContext() as BreakwaterContext)
    expect(before).toMatchObject({ degraded: false })
    expect(final).toMatchObject({ attempts: 1, degraded: 'downgraded-tier', degradations: ['downgraded-tier'], serviceTier: 'default' })
    expect(servedSummary(final)).toMatchObject({ degraded: 'downgraded-tier' })
    expect(added.mock.calls.filter(([name]) => name === 'ServiceTierDowngrades')).toHaveLength(1)
    expect(server.calls.map((c) => [c.serviceTier, c.events.at(-1)])).toEqual([['priority', 'metadata']])
  })

  it('a stream served as asked: its tier is told, nothing degraded, nothing counted', async () => {
    const metrics = new Metrics({ namespace: 'TierTest', serviceName: 'tier-test' })
    const added = jest.spyOn(metrics, 'addMetric').mockImplementation(() => metrics)
    const handler = middy(async (_event: unknown, context: BreakwaterContext): Promise<Served> => {
      const reply = await context.bedrock.converseStream(ask())
      for await (const _event of reply) { /* read to the end */ }
      return reply.final().served
    }).use(breakwater({ routes: { default: [PRIORITY] }, metrics, client: client(), degradation: false }))
    expect(await handler(directEvent(), lambdaContext() as BreakwaterContext)).toMatchObject({ degraded: false, serviceTier: 'priority' })
    expect(added.mock.calls.filter(([name]) => name === 'ServiceTierDowngrades')).toHaveLength(0)
  })

  it("a stream cut after its first token counts against its own tier's breaker, not the default tier's", async () => {
    server.plan([{ kind: 'cut', afterEvents: 3, times: 1 }])
    const handler = middy(async (_event: unknown, context: BreakwaterContext): Promise<Served> => {
      const reply = await context.bedrock.converseStream(ask('tell me a long story'))
      for await (const _event of reply) { /* read to the end: a cut restarts on the next target */ }
      return reply.final().served
    }).use(breakwater({ routes: { default: [PRIORITY, DEFAULT] }, breaker: { consecutiveFailures: 1 },
      client: client(), degradation: false }))
    const first = await handler(directEvent(), lambdaContext() as BreakwaterContext)
    expect(first).toMatchObject({ degraded: 'fallback-target' })
    await handler(directEvent(), lambdaContext() as BreakwaterContext)
    // The cut opened the priority tier's breaker: the second request goes straight to the default tier.
    expect(tiersAsked()).toEqual(['priority', undefined, undefined])
  })

  it("InvokeModel sends the tier as its header and reads the served one from the reply's", async () => {
    server.tiers([{ servesTier: 'default' }])
    const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
    const handler = middy(async (_event: unknown, context: BreakwaterContext): Promise<Served> => {
      const reply = await context.bedrock.invokeModel({ body, contentType: 'application/json', accept: 'application/json' })
      return reply.served
    }).use(breakwater({ routes: { default: { targets: [PRIORITY], invokeModel: true } }, client: client(), degradation: false }))
    const served = await handler(directEvent(), lambdaContext() as BreakwaterContext)
    expect(served).toMatchObject({ degraded: 'downgraded-tier', serviceTier: 'default' })
    expect(tiersAsked()).toEqual(['priority'])
  })
})
