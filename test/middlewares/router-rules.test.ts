/**
 * router() routing options through a real Middy handler, the real Bedrock client and the fake Bedrock: rules on the
 * event (tier), the sticky blue/green split, the canary abort when green's region goes down, and the init checks.
 */
import { describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import type { MiddlewareObj } from '@middy/core'
import { systemClock, type Clock } from '../../src/core/clock.js'
import { BreakwaterConfigError } from '../../src/core/errors.js'
import { isGreen } from '../../src/core/routing/hash.js'
import { circuitBreaker } from '../../src/middlewares/circuit-breaker.js'
import { fallback } from '../../src/middlewares/fallback.js'
import { router, type BreakwaterContext, type RouterOptions } from '../../src/middlewares/router.js'
import type { Invocation } from '../../src/core/engine/invocation.js'
import { STATE_KEY } from '../../src/middlewares/stack.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { lambdaContext } from '../support/events.js'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const SMALL = 'amazon.nova-micro-v1:0@us-east-1'
const LARGE = 'us.anthropic.claude-3-5-sonnet-20240620-v1:0@us-east-1'
const GREEN = 'us.anthropic.claude-3-7-sonnet-20250219-v1:0@us-west-2'
const msg = (text: string) => ({ role: 'user' as const, content: [{ text }] })

function handler(options: Omit<RouterOptions, 'client'>, breaker = false, clock?: Clock) {
  const states: Invocation[] = []
  const capture: MiddlewareObj = { before: (r) => { states.push((r.internal as Record<string, unknown>)[STATE_KEY] as Invocation) } }
  const h = middy(async (_event: unknown, context: BreakwaterContext) => {
    const reply = await context.bedrock.converse({ messages: [msg('hello')] })
    return reply.served
  }).use(router({ ...options, client: { clientConfig: fakeClientConfig(server) } }))
  if (breaker) {
    const breakerOptions: { consecutiveFailures: number; cooldownMs: number; clock?: Clock } = {
      consecutiveFailures: 2,
      cooldownMs: 60_000,
    }
    if (clock) breakerOptions.clock = clock
    h.use(circuitBreaker(breakerOptions)).use(fallback())
  }
  h.use(capture)
  return { invoke: (event: unknown) => h(event as never, lambdaContext() as never), states }
}

const fieldOf = (options: Partial<RouterOptions>): string => {
  try {
    router({ routes: { default: [SMALL], large: [LARGE] }, ...options } as RouterOptions)
  } catch (e) {
    if (e instanceof BreakwaterConfigError) return e.field
    throw e
  }
  throw new Error('did not throw')
}

describe('router() routing options at init', () => {
  it('names the offending field', () => {
    const threeRules = [
      { route: 'large', when: { tier: 'a' } }, { route: 'default', when: { tier: 'b' } }, { route: 'huge', when: { tier: 'c' } },
    ]
    expect(fieldOf({ rules: threeRules })).toBe('rules[2].route')
    expect(fieldOf({ routes: { x: ['eu.anthropic.claude-3-7-sonnet-20250219-v1:0@us-east-1'] } })).toBe('routes.x[0].region')
    expect(fieldOf({ routes: { x: { targets: [SMALL], green: { targets: [GREEN], weight: 101 } } } })).toBe('routes.x.green.weight')
    expect(fieldOf({ routes: { x: { targets: [SMALL], green: { targets: ['eu.m.x@us-west-2'], weight: 5 } } } }))
      .toBe('routes.x.green.targets[0].region')
    const blueGreen = { targets: [SMALL], green: { targets: [GREEN], weight: 5 } }
    expect(fieldOf({ routes: { x: blueGreen, 'x#green': [SMALL] } })).toBe('routes.x.green')
    expect(fieldOf({ rules: [{ route: 'x#green', when: { tier: 'a' } }], routes: { x: blueGreen } })).toBe('rules[0].route')
    expect(fieldOf({ splitKey: 'cookie' as never })).toBe('splitKey')
    expect(fieldOf({ tier: 'gold' as never })).toBe('tier')
    expect(fieldOf({ canary: { maxFailureRateGap: 2 } })).toBe('canary.maxFailureRateGap')
    expect(fieldOf({ canary: { window: 10, minSamples: 20 } })).toBe('canary.minSamples')
    expect(fieldOf({ canary: { gap: 1 } as never })).toBe('canary.gap')
  })
})

describe('rules through a Middy handler', () => {
  const routes = { default: [SMALL], large: [LARGE] }

  it('routes by the tier claim / header before the handler runs, else the default route', async () => {
    const h = handler({ routes, rules: [{ route: 'large', when: { tier: ['pro', 'team'] } }] })
    const pro = await h.invoke({ requestContext: { authorizer: { jwt: { claims: { 'custom:tier': 'pro' } } } } })
    const team = await h.invoke({ headers: { 'x-user-tier': 'team' } })
    const free = await h.invoke({ headers: { 'x-user-tier': 'free' } })
    expect([pro, team, free]).toMatchObject([{ route: 'large' }, { route: 'large' }, { route: 'default' }])
    expect(server.calls.map((c) => c.model)).toEqual([LARGE.split('@')[0], LARGE.split('@')[0], SMALL.split('@')[0]])
  })

  it('a tier function overrides the default extraction', async () => {
    const h = handler({ routes, tier: (e) => (e as { plan?: string }).plan, rules: [{ route: 'large', when: { tier: 'gold' } }] })
    expect(await h.invoke({ plan: 'gold', headers: { 'x-user-tier': 'free' } })).toMatchObject({ route: 'large' })
  })

  it('the request routing\'s chooseRoute applies input rules: a greeting goes small, a long analysis large', async () => {
    const h = handler({ routes, defaultRoute: 'large', rules: [{ route: 'default', when: { inputTokens: { max: 200 } } }] })
    await h.invoke({})
    const invocation = h.states[0]!
    const routing = invocation.routing(invocation.node.engine().router.chooser!)
    expect(await routing.chooseRoute({ messages: [msg('hi!')] })).toBe('default')
    expect(await routing.chooseRoute({ messages: [msg('Compare these two contracts clause by clause. '.repeat(100))] })).toBe('large')
    expect(await routing.chooseRoute({ messages: [msg('hi!')] }, 'large')).toBe('large') // a named route skips the rules
  })

  it('end to end: converse() with a greeting is served by the small model, a long analysis by the large one', async () => {
    const served: string[] = []
    const h = middy(async (event: { text: string }, context: BreakwaterContext) => {
      served.push((await context.bedrock.converse({ messages: [msg(event.text)] })).served.model)
    }).use(router({
      routes,
      defaultRoute: 'large',
      rules: [{ route: 'default', when: { inputTokens: { max: 200 } } }],
      client: { clientConfig: fakeClientConfig(server) },
    }))
    await h({ text: 'hi!' } as never, lambdaContext() as never)
    await h({ text: 'Compare these two contracts clause by clause. '.repeat(100) } as never, lambdaContext() as never)
    expect(served).toEqual([SMALL.split('@')[0], LARGE.split('@')[0]])
  })
})

describe('blue/green through a Middy handler', () => {
  const users = Array.from({ length: 400 }, (_, i) => `user-${i}`)
  const greenUsers = users.filter((u) => isGreen(u, 25))
  const blueUsers = users.filter((u) => !isGreen(u, 25))
  const routes = { default: { targets: [SMALL], green: { targets: [GREEN], weight: 25 } } }

  it('is sticky by user: the same user always lands on the same side', async () => {
    const h = handler({ routes })
    for (const u of [...greenUsers.slice(0, 3), ...blueUsers.slice(0, 3), greenUsers[0]!]) {
      const served = await h.invoke({ headers: { 'x-user-id': u } })
      expect(served).toMatchObject({ route: isGreen(u, 25) ? 'default#green' : 'default' })
    }
    expect(await h.invoke({})).toMatchObject({ route: 'default' }) // no key: blue
  })

  it('a failing canary costs no answer: green users are served by blue\'s targets at the end of green\'s cascade', async () => {
    server.plan([{ kind: 'unavailable', region: 'us-west-2' }])
    const h = handler({ routes }, true) // green: [GREEN] only; blue: [SMALL]
    for (const u of greenUsers.slice(0, 5)) {
      expect(await h.invoke({ headers: { 'x-user-id': u } })).toMatchObject({ region: 'us-east-1', model: 'amazon.nova-micro-v1:0' })
    }
    // Two green calls failed and opened green's breaker; every user still got an answer.
    expect(server.calls.filter((c) => c.region === 'us-west-2').map((c) => c.status)).toEqual([503, 503])
  })

  it('the blue net holds even when fallback() does not walk the cascade (nextTarget: false)', async () => {
    server.plan([{ kind: 'unavailable', region: 'us-west-2' }])
    const h = middy(async (_event: unknown, context: BreakwaterContext) =>
      (await context.bedrock.converse({ messages: [msg('hello')] })).served)
      .use(router({ routes, client: { clientConfig: fakeClientConfig(server) } }))
      .use(fallback({ nextTarget: false }))
    const served = await h({ headers: { 'x-user-id': greenUsers[0] } } as never, lambdaContext() as never)
    expect(served).toMatchObject({ route: 'default#green', region: 'us-east-1', attempts: 2 })
  })

  it('health order never puts blue\'s targets ahead of green\'s on the green route (same model, green\'s region slow)', async () => {
    const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0'
    const sameModel = { default: { targets: [`${HAIKU}@us-east-1`], green: { targets: [`${HAIKU}@us-west-2`], weight: 25 } } }
    server.plan([{ kind: 'delay', region: 'us-west-2', delayMs: 400 }])
    const h = handler({ routes: sameModel })
    for (let i = 0; i < 6; i++) await h.invoke({ headers: { 'x-user-id': blueUsers[i] } })
    for (let i = 0; i < 6; i++) {
      expect(await h.invoke({ headers: { 'x-user-id': greenUsers[i] } })).toMatchObject({ route: 'default#green', region: 'us-west-2' })
    }
    // us-west-2 is now known to be far slower than us-east-1, yet a green user is still served by green.
    expect(await h.invoke({ headers: { 'x-user-id': greenUsers[6] } }))
      .toMatchObject({ route: 'default#green', region: 'us-west-2', attempts: 1 })
  })

  it('aborts the canary while green is open (metric + warn), green users fall back to blue', async () => {
    const metrics: string[] = []
    const warnings: string[] = []
    const logger = { debug: () => undefined, info: () => undefined, warn: (m: string) => { warnings.push(m) } }
    server.plan([{ kind: 'unavailable', region: 'us-west-2' }])
    const h = handler({
      routes: { default: { targets: [SMALL], green: { targets: [GREEN, SMALL], weight: 25 } } },
      logger: logger as never, metrics: { addMetric: (name: string) => { metrics.push(name) } } as never,
    }, true)
    for (let i = 0; i < 2; i++) {
      expect(await h.invoke({ headers: { 'x-user-id': greenUsers[i] } })).toMatchObject({ route: 'default#green', region: 'us-east-1' })
    }
    // Two failures opened us-west-2; the next green user is routed blue at init of the request.
    expect(await h.invoke({ headers: { 'x-user-id': greenUsers[2] } })).toMatchObject({ route: 'default', attempts: 1 })
    expect(metrics.filter((m) => m === 'CanaryAborted')).toHaveLength(1)
    expect(warnings).toContain('breakwater canary aborted: green gets no traffic')
    expect(server.callsTo({ region: 'us-west-2' })).toBe(2)
  })

  it('traffic returns to green once its breaker cools down and its region is healthy again', async () => {
    let skew = 0 // the breaker's cooldown passes by moving this clock, not by waiting a minute
    const clock: Clock = { now: () => Date.now() + skew, sleep: systemClock.sleep }
    server.plan([{ kind: 'unavailable', region: 'us-west-2', times: 2 }])
    const h = handler({
      routes: { default: { targets: [SMALL], green: { targets: [GREEN, SMALL], weight: 25 } } },
      canary: { minSamples: 2, window: 10 }, clock,
    }, true, clock)
    const asUser = (u: string | undefined) => h.invoke({ headers: { 'x-user-id': u } })
    // Green's region fails twice: both green users are served by green's second target, and us-west-2's breaker opens.
    for (let i = 0; i < 2; i++) expect(await asUser(greenUsers[i])).toMatchObject({ route: 'default#green', region: 'us-east-1' })
    for (let i = 0; i < 2; i++) expect(await asUser(blueUsers[i])).toMatchObject({ route: 'default' })
    expect(await asUser(greenUsers[2])).toMatchObject({ route: 'default' }) // canary aborted: blue
    skew = 61_000 // the breaker half-opens; the fake is healthy again (its two faults are spent)
    // Green's window still holds the two failures that opened the breaker; they must not abort green a second time.
    expect(await asUser(greenUsers[3])).toMatchObject({ route: 'default#green', region: 'us-west-2', attempts: 1 })
    expect(await asUser(greenUsers[4])).toMatchObject({ route: 'default#green', region: 'us-west-2' })
    expect(server.callsTo({ region: 'us-west-2' })).toBe(4)
  })
})
