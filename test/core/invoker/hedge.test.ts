import { LatencyTracker } from '../../../src/core/health/latency.js'
import { HedgeBudget, HedgeLostError, planHedge, runHedged, type HedgeRun } from '../../../src/core/invoker/hedge.js'
import { DEFAULT_HEDGE_POLICY as P } from '../../../src/core/fallback/hedge-policy.js'
import type { CascadeListener, CascadeRequest, CascadeResult } from '../../../src/core/invoker/types.js'
import type { Target } from '../../../src/core/targets.js'
import { FakeClock } from '../../support/fake-clock.js'

const t = (region: string, model = 'm') => ({ model, region })
const [EAST, EAST2, WEST] = [t('us-east-1'), t('us-east-1', 'small'), t('us-west-2')]

function tracker(clock: FakeClock, ms: number[]): LatencyTracker {
  const latency = new LatencyTracker({ clock })
  for (const x of ms) latency.record('m@us-east-1', x, undefined, clock.now())
  return latency
}

const on = (targets: Array<{ model: string; region: string }>, extra: { skip?: Set<string>; attemptTimeoutMs?: number } = {}) =>
  ({ targets, ...extra })

describe('planHedge', () => {
  it('hedges after the first target\'s p95 × factor, at least minDelayMs, skipping its region', () => {
    const clock = new FakeClock(1_000)
    const plan = planHedge(on([EAST, EAST2, WEST]), tracker(clock, [100, 100, 100, 100, 400]), P, clock.now())
    expect(plan?.delayMs).toBe(600)
    expect(plan?.first).toEqual(EAST)
    expect([...(plan?.skip ?? [])].sort()).toEqual(['m@us-east-1', 'small@us-east-1'])
    expect(planHedge(on([EAST, WEST]), tracker(clock, [10, 10, 10, 10, 10]), P, clock.now())?.delayMs).toBe(P.minDelayMs)
  })

  it('no hedge without a p95, or without another region', () => {
    const clock = new FakeClock(1_000)
    expect(planHedge(on([EAST, WEST]), tracker(clock, [100, 100]), P, clock.now())).toBeUndefined()
    expect(planHedge(on([EAST, EAST2]), tracker(clock, [100, 100, 100, 100, 100]), P, clock.now())).toBeUndefined()
    expect(planHedge(on([EAST, WEST]), undefined, P, clock.now())).toBeUndefined()
  })

  it('no hedge that would start no sooner than the attempt\'s own limit (a stream\'s first-token limit): it moves on itself', () => {
    const clock = new FakeClock(1_000)
    const latency = tracker(clock, [1_000, 1_000, 1_000, 1_000, 1_000])
    expect(planHedge(on([EAST, WEST], { attemptTimeoutMs: 1_500 }), latency, P, clock.now())).toBeUndefined()
    expect(planHedge(on([EAST, WEST], { attemptTimeoutMs: 1_501 }), latency, P, clock.now())?.delayMs).toBe(1_500)
  })

  it('a cascade that skips targets (a restarted stream) is hedged against its first target not skipped', () => {
    const clock = new FakeClock(1_000)
    const latency = tracker(clock, [100, 100, 100, 100, 100])
    const CENTRAL = t('eu-central-1')
    for (let i = 0; i < 5; i++) latency.record('m@us-west-2', 300, undefined, clock.now())
    const plan = planHedge(on([EAST, WEST, CENTRAL], { skip: new Set(['m@us-east-1']) }), latency, P, clock.now())
    expect(plan).toMatchObject({ first: WEST, delayMs: 450 })
    expect([...(plan?.skip ?? [])]).toEqual(['m@us-west-2'])
    // Nothing left outside the first target's region but what is skipped already: no hedge.
    expect(planHedge(on([EAST, WEST], { skip: new Set(['m@us-east-1']) }), latency, P, clock.now())).toBeUndefined()
  })
})

describe('HedgeBudget', () => {
  it('starts with one hedge, earns share of one per call, and never holds more than one', () => {
    const budget = new HedgeBudget(0.25)
    for (let i = 0; i < 10; i++) budget.call()
    expect(budget.spend()).toBe(true)
    expect(budget.spend()).toBe(false)
    for (let i = 0; i < 4; i++) budget.call()
    expect(budget.spend()).toBe(true)
    expect(budget.spend()).toBe(false)
  })
})

describe('runHedged', () => {
  const request = { targets: [EAST, WEST] } as unknown as CascadeRequest<unknown, unknown>
  const plan = { delayMs: 100, first: EAST, skip: new Set(['m@us-east-1']) }
  type Run = HedgeRun<unknown, unknown>['run']
  type Leg = CascadeRequest<unknown, unknown>
  const hedging = (clock: FakeClock, run: Run, extra: Partial<HedgeRun<unknown, unknown>> = {}): HedgeRun<unknown, unknown> =>
    ({ budget: new HedgeBudget(1), clock, run, latency: undefined, onSlow: () => undefined, ...extra })
  const answer = (output: string): CascadeResult<unknown> => ({ output, served: {} as CascadeResult<unknown>['served'], attempts: [] })
  /** As the cascade does: an attempt of `target` told to the leg's listener while `body` runs. */
  const attempting = async <T>(r: Leg, target: Target, body: () => Promise<T>): Promise<T> => {
    const token = r.listener?.attemptStart?.(target, 1, 'default')
    try {
      return await body()
    } finally {
      r.listener?.attemptEnd?.(token, {})
    }
  }
  /** Rejects with the leg's abort reason, when it is aborted. */
  const hang = (r: Leg) => new Promise<never>((_, reject) => r.signal?.addEventListener('abort', () => reject(r.signal?.reason)))

  it('throws the first cascade\'s error when both fail, and never hedges one that failed before the delay', async () => {
    const clock = new FakeClock(0)
    const fail = (name: string) => Promise.reject(Object.assign(new Error(name), { name }))
    let runs = 0
    const quick = runHedged(request, plan, hedging(clock, () => (runs++, fail('first'))))
    await expect(quick).rejects.toMatchObject({ name: 'first' })
    await clock.advance(200)
    expect(runs).toBe(1)

    const failing: Run = (r) => attempting(r, r.skip === undefined ? EAST : WEST, () => new Promise((_, reject) => {
      const name = r.skip === undefined ? 'first' : 'hedge'
      setTimeout(() => reject(Object.assign(new Error(name), { name })), r.skip === undefined ? 50 : 10)
    }))
    const both = runHedged(request, plan, hedging(clock, failing))
    // Caught at once: the cascades reject on real timers, maybe before the advance is over.
    const outcome = both.catch((error: unknown) => error)
    await clock.advance(100)
    expect(await outcome).toMatchObject({ name: 'first' })
  })

  it('the hedge wins: the first cascade is aborted as lost, its target told slow and its time so far recorded', async () => {
    const clock = new FakeClock(0)
    const latency = new LatencyTracker({ clock, minSamples: 1 })
    const slow: string[] = []
    let primaryReason: unknown
    const run: Run = (r) => {
      if (r.skip === undefined) return attempting(r, EAST, () => hang(r).catch((e: unknown) => { throw (primaryReason = e) }))
      return attempting(r, WEST, () => clock.sleep(50).then(() => answer('west')))
    }
    const hedged = runHedged(request, plan, hedging(clock, run, { latency, onSlow: (target) => slow.push(target.region) }))
    await clock.advance(150)
    expect((await hedged).output).toBe('west')
    expect(primaryReason).toBeInstanceOf(HedgeLostError)
    expect(slow).toEqual(['us-east-1'])
    expect(latency.health('m@us-east-1')?.samples).toBe(1)
    expect(latency.health('m@us-east-1')?.p95Ms).toBe(150)
  })

  it('an answer that comes after the race was won (a stream past its first token) is discarded, not left open', async () => {
    const clock = new FakeClock(0)
    const discarded: unknown[] = []
    // Neither cascade listens to its signal: the loser answers anyway, as a stream whose abort came too late would.
    const run: Run = (r) => {
      const east = r.skip === undefined
      return attempting(r, east ? EAST : WEST, () => clock.sleep(east ? 170 : 50).then(() => answer(east ? 'east' : 'west')))
    }
    const hedged = runHedged(request, plan, hedging(clock, run, { discard: (output) => discarded.push(output) }))
    await clock.advance(200)
    expect((await hedged).output).toBe('west')
    expect(discarded).toEqual(['east'])
  })

  it('no hedge when the first cascade has moved past the first target, or has no attempt in flight (a backoff wait)', async () => {
    const clock = new FakeClock(0)
    const CENTRAL = t('eu-central-1')
    const wide = { targets: [EAST, WEST, CENTRAL] } as unknown as Leg
    // The first target failed fast (a 503) and the cascade is on us-west-2: a hedge kept out of us-east-1 only
    // would call us-west-2 again, and the delay (us-east-1's p95) says nothing about it.
    const movedOn: Run = (r) => {
      if (r.skip !== undefined) return Promise.resolve(answer('hedge'))
      return attempting(r, EAST, () => clock.sleep(10)).then(() => attempting(r, WEST, () => clock.sleep(300).then(() => answer('west'))))
    }
    const budget = new HedgeBudget(1)
    const onWest = runHedged(wide, plan, hedging(clock, movedOn, { budget }))
    await clock.advance(400)
    expect((await onWest).output).toBe('west')

    const waiting: Run = (r) => {
      if (r.skip !== undefined) return Promise.resolve(answer('hedge'))
      const retry = () => attempting(r, EAST, async () => answer('east'))
      return attempting(r, EAST, () => clock.sleep(10)).then(() => clock.sleep(200)).then(retry)
    }
    const backingOff = runHedged(wide, plan, hedging(clock, waiting, { budget }))
    await clock.advance(300)
    expect((await backingOff).output).toBe('east')
    // Not spent on either.
    expect(budget.spend()).toBe(true)
  })

  it('a hedge that wins blames only the attempt in flight, and only one that has run at least the delay', async () => {
    const clock = new FakeClock(0)
    const latency = new LatencyTracker({ clock, minSamples: 1 })
    const slow: string[] = []
    // In flight on the first target when the delay is up; it fails at 120 and is retried at 130, just before the
    // hedge's answer at 150: that retry has not been slow, and the failed attempt was told to its breaker already.
    const run: Run = (r) => {
      if (r.skip !== undefined) return clock.sleep(50).then(() => answer('west'))
      return attempting(r, EAST, () => clock.sleep(120)).then(() => clock.sleep(10)).then(() => attempting(r, EAST, () => hang(r)))
    }
    const hedged = runHedged(request, plan, hedging(clock, run, { latency, onSlow: (target) => slow.push(target.region) }))
    await clock.advance(200)
    expect((await hedged).output).toBe('west')
    expect(slow).toEqual([])
    expect(latency.health('m@us-east-1')).toBeUndefined()
  })

  it('the request\'s own listener still hears the first cascade\'s attempts, each attemptEnd with its own token', async () => {
    const clock = new FakeClock(0)
    const heard: unknown[] = []
    const listener: CascadeListener = {
      attemptStart: (target) => `token of ${target.region}`,
      attemptEnd: (token) => { heard.push(token) },
      retry: (target) => { heard.push(`retry ${target.region}`) },
    }
    const run: Run = (r) => {
      r.listener?.retry?.(EAST, 0, 'throttled', 'default')
      return attempting(r, EAST, () => clock.sleep(50).then(() => answer('east')))
    }
    const hedged = runHedged({ ...request, listener }, plan, hedging(clock, run))
    await clock.advance(50)
    expect((await hedged).output).toBe('east')
    expect(heard).toEqual(['retry us-east-1', 'token of us-east-1'])
  })

  it('a caller\'s signal aborted already: its reason, and nothing is run', async () => {
    const clock = new FakeClock(0)
    const caller = new AbortController()
    caller.abort(new Error('caller gave up'))
    let runs = 0
    const hedged = runHedged({ ...request, signal: caller.signal }, plan, hedging(clock, async () => (runs++, answer('east'))))
    await expect(hedged).rejects.toThrow('caller gave up')
    await clock.advance(200)
    expect(runs).toBe(0)
  })
})
