import { LatencyTracker } from '../../../src/core/health/latency.js'
import { HedgeBudget, HedgeLostError, planHedge, runHedged, type HedgeRun } from '../../../src/core/invoker/hedge.js'
import { DEFAULT_HEDGE_POLICY as P } from '../../../src/core/fallback/hedge-policy.js'
import type { CascadeRequest, CascadeResult } from '../../../src/core/invoker/types.js'
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
  const hedging = (clock: FakeClock, run: Run, extra: Partial<HedgeRun<unknown, unknown>> = {}): HedgeRun<unknown, unknown> =>
    ({ budget: new HedgeBudget(1), clock, run, latency: undefined, onSlow: () => undefined, ...extra })
  const answer = (output: string): CascadeResult<unknown> => ({ output, served: {} as CascadeResult<unknown>['served'], attempts: [] })

  it('throws the first cascade\'s error when both fail, and never hedges one that failed before the delay', async () => {
    const clock = new FakeClock(0)
    const fail = (name: string) => Promise.reject(Object.assign(new Error(name), { name }))
    let runs = 0
    const quick = runHedged(request, plan, hedging(clock, () => (runs++, fail('first'))))
    await expect(quick).rejects.toMatchObject({ name: 'first' })
    await clock.advance(200)
    expect(runs).toBe(1)

    const both = runHedged(request, plan, hedging(clock, (r) => new Promise<CascadeResult<unknown>>((_, reject) => {
      const name = r.skip === undefined ? 'first' : 'hedge'
      setTimeout(() => reject(Object.assign(new Error(name), { name })), r.skip === undefined ? 50 : 10)
    })))
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
      if (r.skip === undefined) {
        return new Promise((_, reject) => r.signal?.addEventListener('abort', () => reject((primaryReason = r.signal?.reason))))
      }
      return clock.sleep(50).then(() => answer('west'))
    }
    const hedged = runHedged(request, plan, hedging(clock, run, { latency, onSlow: (target) => slow.push(target.region) }))
    await clock.advance(150)
    expect((await hedged).output).toBe('west')
    expect(primaryReason).toBeInstanceOf(HedgeLostError)
    expect(slow).toEqual(['us-east-1'])
    expect(latency.health('m@us-east-1')?.samples).toBe(1)
  })

  it('an answer that comes after the race was won (a stream past its first token) is discarded, not left open', async () => {
    const clock = new FakeClock(0)
    const discarded: unknown[] = []
    // Neither cascade listens to its signal: the loser answers anyway, as a stream whose abort came too late would.
    const run: Run = (r) => clock.sleep(r.skip === undefined ? 170 : 50).then(() => answer(r.skip === undefined ? 'east' : 'west'))
    const hedged = runHedged(request, plan, hedging(clock, run, { discard: (output) => discarded.push(output) }))
    await clock.advance(200)
    expect((await hedged).output).toBe('west')
    expect(discarded).toEqual(['east'])
  })
})
