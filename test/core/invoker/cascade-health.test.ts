/** The engine and container health: latency recorded per target, slow calls counted, maxTokens planned from speed. */
import { Deadline } from '../../../src/core/backoff/deadline.js'
import { AllTargetsFailedError } from '../../../src/core/errors.js'
import { LatencyTracker } from '../../../src/core/health/latency.js'
import { orderByHealth } from '../../../src/core/health/order.js'
import { runCascade } from '../../../src/core/invoker/cascade.js'
import { converseAdapter, converseUsage } from '../../../src/core/invoker/converse-adapter.js'
import type { CallFn, CascadeRequest } from '../../../src/core/invoker/types.js'
import { targetKey, type Target } from '../../../src/core/targets.js'
import type { SimClock } from '../../support/sim-clock.js'
import { EAST, SMALL, WEST, scripted, sdkError, setup, type Input } from './harness.js'

interface Reply { readonly text: string; readonly usage: { readonly outputTokens: number } }

/**
 * An upstream that takes 300 ms to the first byte, then generates 100 tokens/s, and wants to say `wants` tokens:
 * it stops at the request's maxTokens (1000 when unset), like a model does.
 */
function generating(clock: SimClock, wants = 5_000) {
  const sent: Input[] = []
  const call: CallFn<Input, Reply> = async (_target, input, signal) => {
    sent.push(input)
    const tokens = Math.min(wants, input.inferenceConfig?.maxTokens ?? 1_000)
    await clock.sleep(300 + tokens * 10, signal)
    return { text: 'x'.repeat(tokens), usage: { outputTokens: tokens } }
  }
  return { call, sent }
}

type Env = ReturnType<typeof setup>
function converseRequest(
  env: Env, call: CallFn<Input, Reply>, latency: LatencyTracker | undefined, remainingMs: number, maxTokens: number,
  targets: readonly Target[] = [EAST],
): CascadeRequest<Input, Reply> {
  const { clock, policies } = env
  const request: CascadeRequest<Input, Reply> = {
    route: 'default', targets, call, policies, clock, random: () => 0.5,
    input: { messages: [{ role: 'user', content: [{ text: 'write a long story' }] }], inferenceConfig: { maxTokens } },
    deadline: new Deadline(clock, remainingMs, 300),
    adapter: converseAdapter<Input>(policies.fallback),
    measure: converseUsage,
  }
  return latency === undefined ? request : { ...request, latency }
}

/** Five calls with time to spare and varied lengths: the tracker learns EAST's speed. */
async function prime(env: Env, latency: LatencyTracker, target: Target = EAST): Promise<void> {
  for (const maxTokens of [100, 200, 400, 600, 800]) {
    const { call } = generating(env.clock)
    await env.clock.run(runCascade(converseRequest(env, call, latency, 30_000, maxTokens, [target])))
  }
}

describe('runCascade with a latency tracker', () => {
  it('records successful calls per target, and a slow region then sinks below the healthy one of the same model', async () => {
    const env = setup()
    const latency = new LatencyTracker({ clock: env.clock })
    const slowEast = scripted(env.clock, {}, 4_000)
    const fastWest = scripted(env.clock, {}, 800)
    for (let i = 0; i < 5; i++) {
      await env.clock.run(runCascade(env.request(slowEast.call, { targets: [EAST], latency })))
      await env.clock.run(runCascade(env.request(fastWest.call, { targets: [WEST], latency })))
    }
    expect(latency.health(targetKey(EAST))?.p95Ms).toBe(4_000)
    expect(latency.health(targetKey(WEST))?.p95Ms).toBe(800)
    const targets = orderByHealth([EAST, WEST, SMALL], latency)
    expect(targets).toEqual([WEST, EAST, SMALL])
    const { call, sent } = scripted(env.clock, {})
    const result = await env.clock.run(runCascade(env.request(call, { targets, latency })))
    expect(sent[0]!.target).toBe(WEST)
    expect(result.served).toMatchObject({ region: 'us-west-2', degraded: false }) // the first target served
  })
})

describe('slow-call threshold', () => {
  it('counts a success slower than slowCallMs against the breaker, returns the reply, and trips it', async () => {
    const env = setup({ breaker: { consecutiveFailures: 3 }, policies: { slowCallMs: 1_000 } })
    const slow = scripted(env.clock, {}, 2_000)
    for (let i = 0; i < 3; i++) {
      const result = await env.clock.run(runCascade(env.request(slow.call, { targets: [EAST, WEST] })))
      expect(result.output).toBe('ok from us-east-1')
      expect(result.served).toMatchObject({ region: 'us-east-1', degraded: false })
    }
    expect((await env.policies.breaker!.read(targetKey(EAST))).state).toBe('open')
    const result = await env.clock.run(runCascade(env.request(slow.call, { targets: [EAST, WEST] })))
    expect(result.attempts.map((a) => a.outcome)).toEqual(['skipped-open', 'success'])
    expect(result.served).toMatchObject({ region: 'us-west-2', degraded: 'fallback-target' })
  })

  it('counts calls within the threshold, and every call when it is off, as successes', async () => {
    for (const slowCallMs of [5_000, undefined]) {
      const env = setup({ breaker: { consecutiveFailures: 1 }, policies: slowCallMs === undefined ? {} : { slowCallMs } })
      const slow = scripted(env.clock, {}, 2_000)
      for (let i = 0; i < 3; i++) await env.clock.run(runCascade(env.request(slow.call, { targets: [EAST] })))
      expect((await env.policies.breaker!.read(targetKey(EAST))).state).toBe('closed')
    }
  })
})

describe('deadline-planned degrade', () => {
  it('caps maxTokens from the measured tokens/s when the time left would not fit the reply, and serves', async () => {
    const env = setup()
    const latency = new LatencyTracker({ clock: env.clock })
    await prime(env, latency)
    expect(latency.health(targetKey(EAST))?.speed?.tokensPerSecond).toBeCloseTo(100, 6)
    const { call, sent } = generating(env.clock)
    // 3 000 ms before the reserve: 1 000 tokens would take 10.3 s; 100 tok/s × (0.9 × 3 000 − 300 ms) = 240 fit.
    const started = env.clock.now()
    const result = await env.clock.run(runCascade(converseRequest(env, call, latency, 3_300, 1_000)))
    expect(sent[0]!.inferenceConfig?.maxTokens).toBe(240)
    expect(result.output.usage.outputTokens).toBe(240)
    expect(env.clock.now() - started).toBe(2_700)
    expect(result.served).toMatchObject({ region: 'us-east-1', attempts: 1, degraded: 'reduced-max-tokens' })
  })

  it('without measurements (or without fallback()) the same request runs out of time', async () => {
    const env = setup()
    const { call, sent } = generating(env.clock)
    await expect(env.clock.run(runCascade(converseRequest(env, call, new LatencyTracker({ clock: env.clock }), 3_300, 1_000))))
      .rejects.toBeInstanceOf(AllTargetsFailedError)
    expect(sent[0]!.inferenceConfig?.maxTokens).toBe(1_000)

    const noFallback = setup({ policies: { fallback: undefined } })
    const latency = new LatencyTracker({ clock: noFallback.clock })
    await prime(noFallback, latency)
    const late = generating(noFallback.clock)
    await expect(noFallback.clock.run(runCascade(converseRequest(noFallback, late.call, latency, 3_300, 1_000))))
      .rejects.toBeInstanceOf(AllTargetsFailedError)
    expect(late.sent[0]!.inferenceConfig?.maxTokens).toBe(1_000)
  })

  it('does not call a reply degraded when the cap did not bite, and leaves a request that fits alone', async () => {
    const env = setup()
    const latency = new LatencyTracker({ clock: env.clock })
    await prime(env, latency)
    const short = generating(env.clock, 50)
    const result = await env.clock.run(runCascade(converseRequest(env, short.call, latency, 3_300, 1_000)))
    expect(short.sent[0]!.inferenceConfig?.maxTokens).toBe(240)
    expect(result.served.degraded).toBe(false)

    const fits = generating(env.clock)
    const asked = await env.clock.run(runCascade(converseRequest(env, fits.call, latency, 3_300, 200)))
    expect(fits.sent[0]!.inferenceConfig?.maxTokens).toBe(200)
    expect(asked.served.degraded).toBe(false)
  })

  it('sizes each attempt from its own slice: after a fast 503 the next region gets what is left', async () => {
    const env = setup()
    const latency = new LatencyTracker({ clock: env.clock })
    await prime(env, latency, EAST)
    await prime(env, latency, WEST)
    const { call: generate } = generating(env.clock)
    const sent: Array<{ region: string; maxTokens: number | undefined }> = []
    const call: CallFn<Input, Reply> = async (target, input, signal) => {
      sent.push({ region: target.region, maxTokens: input.inferenceConfig?.maxTokens })
      if (target.region !== 'us-east-1') return generate(target, input, signal)
      await env.clock.sleep(50, signal)
      throw sdkError('ServiceUnavailableException', 503)
    }
    const result = await env.clock.run(runCascade(converseRequest(env, call, latency, 3_300, 1_000, [EAST, WEST])))
    // EAST: 100 × (0.9 × 3 000 − 300) / 1000 = 240; its immediate retry, 50 ms later: 100 × (0.9 × 2 950 − 300) / 1000
    // = 235; WEST, 50 ms after that: 100 × (0.9 × 2 900 − 300) / 1000 = 231.
    expect(sent).toEqual([
      { region: 'us-east-1', maxTokens: 240 }, { region: 'us-east-1', maxTokens: 235 }, { region: 'us-west-2', maxTokens: 231 },
    ])
    expect(result.served).toMatchObject({
      region: 'us-west-2', degraded: 'fallback-target', degradations: ['fallback-target', 'reduced-max-tokens'],
    })
  })
})
