import { LatencyTracker } from '../../../src/core/health/latency.js'
import { HedgeBudget, planHedge, runHedged } from '../../../src/core/invoker/hedge.js'
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

describe('planHedge', () => {
  it('hedges after the first target\'s p95 × factor, at least minDelayMs, skipping its region', () => {
    const clock = new FakeClock(1_000)
    const plan = planHedge([EAST, EAST2, WEST], tracker(clock, [100, 100, 100, 100, 400]), P, clock.now())
    expect(plan?.delayMs).toBe(600)
    expect([...(plan?.skip ?? [])].sort()).toEqual(['m@us-east-1', 'small@us-east-1'])
    expect(planHedge([EAST, WEST], tracker(clock, [10, 10, 10, 10, 10]), P, clock.now())?.delayMs).toBe(P.minDelayMs)
  })

  it('no hedge without a p95, or without another region', () => {
    const clock = new FakeClock(1_000)
    expect(planHedge([EAST, WEST], tracker(clock, [100, 100]), P, clock.now())).toBeUndefined()
    expect(planHedge([EAST, EAST2], tracker(clock, [100, 100, 100, 100, 100]), P, clock.now())).toBeUndefined()
    expect(planHedge([EAST, WEST], undefined, P, clock.now())).toBeUndefined()
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
  const plan = { delayMs: 100, skip: new Set(['m@us-east-1']) }

  it('throws the first cascade\'s error when both fail, and never hedges one that failed before the delay', async () => {
    const clock = new FakeClock(0)
    const fail = (name: string) => Promise.reject(Object.assign(new Error(name), { name }))
    let runs = 0
    const quick = runHedged(request, plan, new HedgeBudget(1), clock, () => (runs++, fail('first')), () => undefined)
    await expect(quick).rejects.toMatchObject({ name: 'first' })
    await clock.advance(200)
    expect(runs).toBe(1)

    const both = runHedged(request, plan, new HedgeBudget(1), clock, (r) => new Promise<CascadeResult<unknown>>((_, reject) => {
      const name = r.skip === undefined ? 'first' : 'hedge'
      setTimeout(() => reject(Object.assign(new Error(name), { name })), r.skip === undefined ? 50 : 10)
    }), () => undefined)
    // Caught at once: the cascades reject on real timers, maybe before the advance is over.
    const outcome = both.catch((error: unknown) => error)
    await clock.advance(100)
    expect(await outcome).toMatchObject({ name: 'first' })
  })
})
