/**
 * Hedged streams through the engine (`fallback({ hedge })` with `converseStream`), on a simulated clock: a stream
 * whose first target has not produced its first token by that target's p95 time to first token × 1.5 starts on the
 * next region too; the first to produce a first token wins, the other is aborted and told to its breaker as a timeout.
 * Structure only (which target served, what was aborted, counts): no timings are asserted.
 */
import { describe, expect, it } from '@jest/globals'
import { CircuitBreaker } from '../../../src/core/breaker/circuit-breaker.js'
import { MemoryBreakerStore } from '../../../src/core/breaker/memory-store.js'
import { Engine, type Binding, type EngineCalls, type RouterPart } from '../../../src/core/engine/engine.js'
import { BREAKER_FAILURE_CLASSES, type FailureClass } from '../../../src/core/failure.js'
import { DEFAULT_HEDGE_POLICY } from '../../../src/core/fallback/hedge-policy.js'
import { DEFAULT_FALLBACK_POLICY } from '../../../src/core/fallback/policy.js'
import { LatencyTracker } from '../../../src/core/health/latency.js'
import { HedgeLostError } from '../../../src/core/invoker/hedge.js'
import type { CallFn } from '../../../src/core/invoker/types.js'
import { openStream } from '../../../src/core/stream/call.js'
import type { StreamEventLike } from '../../../src/core/stream/events.js'
import type { StartedStream } from '../../../src/core/stream/reader.js'
import type { Target } from '../../../src/core/targets.js'
import { SimClock } from '../../support/sim-clock.js'

type Input = { readonly messages: readonly object[] }
const EAST: Target = { model: 'm', region: 'us-east-1' }
const EAST_SMALL: Target = { model: 'small', region: 'us-east-1' }
const WEST: Target = { model: 'm', region: 'us-west-2' }
/**
 * How a call behaves: its first token after 100 ms, after 3 s, or after 3 s deaf to its abort (it answers anyway);
 * or a 503 at once (`down`).
 */
type Step = 'fast' | 'slow' | 'deaf' | 'down'

interface Call {
  readonly region: string
  readonly model: string
  outcome: 'waiting' | 'first token' | 'aborted' | 'let go' | 'failed'
  reason?: unknown
}

/** A ConverseStream upstream per region, from a script (its last step repeats), recording each call's fate. */
function upstream(clock: SimClock, script: Record<string, Step[]>) {
  const calls: Call[] = []
  const call: CallFn<Input, StartedStream<StreamEventLike>> = async (target, _input, signal) => {
    const record: Call = { region: target.region, model: target.model, outcome: 'waiting' }
    calls.push(record)
    const list = script[target.region] ?? ['fast']
    const step = (list.length > 1 ? list.shift() : list[0]) as Step
    if (step === 'down') {
      record.outcome = 'failed'
      const name = 'ServiceUnavailableException'
      throw Object.assign(new Error(name), { name, $fault: 'server', $metadata: { httpStatusCode: 503 } })
    }
    try {
      await clock.sleep(step === 'fast' ? 100 : 3_000, step === 'deaf' ? undefined : signal)
    } catch (error) {
      record.outcome = 'aborted'
      record.reason = error
      throw error
    }
    record.outcome = 'first token'
    const rest: StreamEventLike[] = [{ messageStop: { stopReason: 'end_turn' } }]
    return {
      buffered: [{ contentBlockDelta: { delta: { text: `hi from ${target.region}` } } }],
      iterator: {
        next: async () => (rest.length > 0 ? { value: rest.shift() as StreamEventLike, done: false } : { value: undefined, done: true }),
      },
      abort: (reason) => {
        record.outcome = 'let go'
        record.reason = reason
      },
    }
  }
  return { call, calls }
}

interface Options { readonly targets?: Target[]; readonly hedge?: boolean; readonly failureClasses?: ReadonlySet<FailureClass> }

function container(script: Record<string, Step[]>, options: Options = {}) {
  const { targets = [EAST, WEST], hedge = true, failureClasses = BREAKER_FAILURE_CLASSES } = options
  const clock = new SimClock()
  const { call, calls } = upstream(clock, script)
  const router: RouterPart = {
    routes: new Map([['default', { name: 'default', targets, families: ['m'] }]]),
    defaultRoute: 'default',
    calls: { converseStream: call } as unknown as EngineCalls,
    clock,
    random: () => 0.5,
    listener: {},
    latency: new LatencyTracker({ clock }),
    firstTokens: new LatencyTracker({ clock }),
  }
  const breaker = new CircuitBreaker({ store: new MemoryBreakerStore(), clock, policy: { consecutiveFailures: 1 } })
  const engine = new Engine(router, {
    breaker: { breaker, failureClasses },
    fallback: { policy: hedge ? { ...DEFAULT_FALLBACK_POLICY, hedge: DEFAULT_HEDGE_POLICY } : DEFAULT_FALLBACK_POLICY },
  })
  const binding: Binding = {
    event: {}, context: {}, remainingTimeMs: () => 60_000, routing: () => { throw new Error('no rules') },
  }
  /** One stream, read to its end: where it was served from, and what the upstream saw of it. */
  const stream = async () => {
    const before = calls.length
    const reply = await clock.run(openStream<Input, StreamEventLike>(engine, binding, { messages: [] }, {}))
    await clock.run((async () => { for await (const _event of reply) { /* read to the end */ } })())
    return { served: reply.final().served, text: reply.final().text, calls: calls.slice(before) }
  }
  const warm = async (n = 5) => { for (let i = 0; i < n; i++) await stream() }
  /** A stream the caller gave up on before asking: what opening it does. */
  const abandoned = (reason: Error) => {
    const caller = new AbortController()
    caller.abort(reason)
    return clock.run(openStream<Input, StreamEventLike>(engine, binding, { messages: [] }, { signal: caller.signal }))
  }
  return { stream, warm, abandoned, calls, breaker, router, clock }
}

describe('hedged streams', () => {
  it('a first token later than p95 × 1.5: the next region streams, the slow one is aborted and opens its breaker', async () => {
    const c = container({ 'us-east-1': ['fast', 'fast', 'fast', 'fast', 'fast', 'slow'] })
    await c.warm()
    expect(c.router.firstTokens?.health('m@us-east-1')?.samples).toBe(5)

    const hedged = await c.stream()
    expect(hedged.served).toMatchObject({ region: 'us-west-2' })
    expect(hedged.text).toBe('hi from us-west-2')
    expect(hedged.calls.map((x) => [x.region, x.outcome])).toEqual([['us-east-1', 'aborted'], ['us-west-2', 'first token']])
    expect(hedged.calls[0]?.reason).toBeInstanceOf(HedgeLostError)
    // Outrun: a timeout to us-east-1's breaker (consecutiveFailures: 1 opens it), and a sample of its slowness.
    expect((await c.breaker.read('m@us-east-1')).state).toBe('open')
    c.clock.advance(1_000) // past the tracker's memo of its figures
    expect(c.router.firstTokens?.health('m@us-east-1')?.samples).toBe(6)
    // Streams' first tokens stay out of the health tracker (a whole answer's latency).
    expect(c.router.latency.health('m@us-east-1')).toBeUndefined()
  })

  it('a stream whose first target answers in time is not hedged; nor one without a p95 yet (fewer than 5 first tokens)', async () => {
    const c = container({ 'us-east-1': ['slow', 'fast'] })
    const first = await c.stream()
    // No p95 yet: waited for, whatever it takes (within its first-token limit).
    expect(first.calls.map((x) => x.region)).toEqual(['us-east-1'])
    await c.warm(5)
    expect((await c.stream()).calls.map((x) => [x.region, x.outcome])).toEqual([['us-east-1', 'first token']])
  })

  it('a loser that passed its first token anyway is let go of (its request aborted), not left streaming', async () => {
    const c = container({ 'us-east-1': ['fast', 'fast', 'fast', 'fast', 'fast', 'deaf'] })
    await c.warm()
    const hedged = await c.stream()
    expect(hedged.served).toMatchObject({ region: 'us-west-2' })
    expect(hedged.calls.map((x) => x.outcome)).toEqual(['waiting', 'first token'])
    // Until the deaf call produces its first token, long after the race was won.
    await c.clock.run(c.clock.sleep(5_000))
    expect(hedged.calls.map((x) => [x.region, x.outcome])).toEqual([['us-east-1', 'let go'], ['us-west-2', 'first token']])
    expect(hedged.calls[0]?.reason).toBeInstanceOf(HedgeLostError)
  })

  it('the hedge budget: a second slow first target right after a hedge is waited for', async () => {
    // us-east-1 stays slow from the sixth call on; a breaker that does not count timeouts keeps trying it first.
    const c = container({ 'us-east-1': ['fast', 'fast', 'fast', 'fast', 'fast', 'slow'] }, { failureClasses: new Set(['unavailable']) })
    await c.warm()
    expect((await c.stream()).calls.map((x) => x.region)).toEqual(['us-east-1', 'us-west-2'])
    const waited = await c.stream()
    expect(waited.calls.map((x) => [x.region, x.outcome])).toEqual([['us-east-1', 'first token']])
    expect(waited.served).toMatchObject({ region: 'us-east-1' })
  })

  it('never in the first target\'s region: with no other region in the route, no hedge', async () => {
    const c = container({ 'us-east-1': ['fast', 'fast', 'fast', 'fast', 'fast', 'slow'] }, { targets: [EAST, EAST_SMALL] })
    await c.warm()
    const slow = await c.stream()
    expect(slow.calls.map((x) => [x.model, x.outcome])).toEqual([['m', 'first token']])
  })

  it('a first target that failed fast (a 503) is not blamed, nor is the region the stream moved on to hedged into', async () => {
    // us-west-2's first call is slow, its next one fast: a hedge kept out of us-east-1 only would call it again.
    const c = container({ 'us-east-1': ['fast', 'fast', 'fast', 'fast', 'fast', 'down'], 'us-west-2': ['slow', 'fast'] })
    await c.warm()
    const moved = await c.stream()
    expect(moved.served).toMatchObject({ region: 'us-west-2' })
    expect(moved.calls.map((x) => [x.region, x.outcome])).toEqual([['us-east-1', 'failed'], ['us-west-2', 'first token']])
    c.clock.advance(1_000) // past the tracker's memo of its figures
    // No sample of a slowness us-east-1 never had (it failed at once, and its breaker heard so from the cascade).
    expect(c.router.firstTokens?.health('m@us-east-1')?.samples).toBe(5)
  })

  it('a caller that gave up before the stream: its reason, and nothing is sent', async () => {
    const c = container({ 'us-east-1': ['fast'] })
    await c.warm()
    const before = c.calls.length
    await expect(c.abandoned(new Error('caller gave up'))).rejects.toThrow('caller gave up')
    expect(c.calls.length).toBe(before)
  })

  it('off (no hedge option): a slow first token is waited for', async () => {
    const c = container({ 'us-east-1': ['fast', 'fast', 'fast', 'fast', 'fast', 'slow'] }, { hedge: false })
    await c.warm()
    expect((await c.stream()).calls.map((x) => x.region)).toEqual(['us-east-1'])
  })
})
