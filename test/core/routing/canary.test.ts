import { describe, expect, it } from '@jest/globals'
import { initialRecord, type BreakerRecord } from '../../../src/core/breaker/types.js'
import { CanaryMonitor, type CanaryEvent } from '../../../src/core/routing/canary.js'
import { RouteChooser } from '../../../src/core/routing/chooser.js'
import { isGreen } from '../../../src/core/routing/hash.js'

const clockAt = (t: { now: number }) => ({ now: () => t.now })

describe('CanaryMonitor', () => {
  it('aborts while green fails more than blue by the gap, then retries green after the cooldown', () => {
    const t = { now: 0 }
    const events: CanaryEvent[] = []
    const m = new CanaryMonitor({ settings: { minSamples: 10, cooldownMs: 1_000 }, clock: clockAt(t), listener: (e) => events.push(e) })
    for (let i = 0; i < 20; i++) m.record('chat', 'blue', i % 10 !== 0) // blue 10 %
    for (let i = 0; i < 9; i++) m.record('chat', 'green', false)
    expect(m.weightFor('chat', 5, false)).toBe(5) // green has too few samples to judge
    for (let i = 0; i < 11; i++) m.record('chat', 'green', i < 6) // green 14/20 = 70 %
    expect(m.weightFor('chat', 5, false)).toBe(0)
    expect(events).toEqual([{ type: 'aborted', route: 'chat', reason: 'failure-rate', greenFailureRate: 0.7, blueFailureRate: 0.1 }])
    t.now = 999
    expect(m.weightFor('chat', 5, false)).toBe(0)
    t.now = 1_000
    expect(m.weightFor('chat', 5, false)).toBe(5)
    expect(events.at(-1)).toEqual({ type: 'resumed', route: 'chat' })
    expect(m.failureRates('chat').green).toBe(0) // green starts over
  })

  it('does not abort within the gap (default 0.1)', () => {
    const m = new CanaryMonitor({ clock: { now: () => 0 } })
    for (let i = 0; i < 100; i++) { m.record('r', 'blue', i % 10 !== 0); m.record('r', 'green', i % 5 !== 0) } // 10 % vs 20 %
    expect(m.weightFor('r', 20, false)).toBe(20)
    for (let i = 0; i < 5; i++) m.record('r', 'green', false) // the window slides: 24 failures of the last 100
    expect(m.weightFor('r', 20, false)).toBe(0)
  })

  it('aborts while a green target is open and resumes when it is not', () => {
    const events: CanaryEvent[] = []
    const m = new CanaryMonitor({ clock: { now: () => 0 }, listener: (e) => events.push(e) })
    expect(m.weightFor('r', 50, true)).toBe(0)
    expect(m.weightFor('r', 50, true)).toBe(0)
    expect(m.weightFor('r', 50, false)).toBe(50)
    expect(events.map((e) => e.type)).toEqual(['aborted', 'resumed'])
    expect(events[0]).toMatchObject({ reason: 'green-open' })
  })
})

describe('CanaryMonitor after a breaker-open abort', () => {
  const settings = { minSamples: 10, cooldownMs: 1_000 }
  const fill = (m: CanaryMonitor, side: 'blue' | 'green', n: number, ok: boolean) => { for (let i = 0; i < n; i++) m.record('r', side, ok) }

  it('traffic returns when green is healthy again after its breaker closes: the failures that opened it are not judged twice', () => {
    const t = { now: 0 }
    const events: CanaryEvent[] = []
    const m = new CanaryMonitor({ settings, clock: clockAt(t), listener: (e) => events.push(e) })
    fill(m, 'blue', 20, true)
    fill(m, 'green', 10, true)
    fill(m, 'green', 10, false) // green 50 % failing: these failures open its breaker before the canary judges the rate
    expect(m.weightFor('r', 5, true)).toBe(0)
    expect(m.abortedFor('r')).toBe('green-open')
    t.now = 5_000 // the breaker cooled down and half-opens: its probes need green's traffic now, not cooldownMs later
    expect(m.weightFor('r', 5, false)).toBe(5)
    expect(m.abortedFor('r')).toBeUndefined()
    expect(m.failureRates('r').green).toBe(0)
    fill(m, 'green', 20, true) // green is healthy again and stays in
    expect(m.weightFor('r', 5, false)).toBe(5)
    expect(events.map((e) => e.type)).toEqual(['aborted', 'resumed'])
  })

  it('a breaker-open abort neither ends nor extends a pending failure-rate abort', () => {
    const t = { now: 0 }
    const m = new CanaryMonitor({ settings, clock: clockAt(t) })
    fill(m, 'blue', 20, true)
    fill(m, 'green', 20, false)
    expect(m.weightFor('r', 5, false)).toBe(0) // failure-rate abort until t = 1 000
    t.now = 400
    expect(m.weightFor('r', 5, true)).toBe(0)
    expect(m.abortedFor('r')).toBe('green-open')
    t.now = 600 // the breaker is no longer open, but the failure-rate cooldown still runs
    expect(m.weightFor('r', 5, false)).toBe(0)
    expect(m.abortedFor('r')).toBe('failure-rate')
    t.now = 1_000 // its own retry time, not 600 + cooldownMs
    expect(m.weightFor('r', 5, false)).toBe(5)
    expect(m.failureRates('r').green).toBe(0)
  })
})

describe('RouteChooser with the canary', () => {
  const t = { now: 10_000 }
  const records = new Map<string, BreakerRecord>()
  const reads: string[] = []
  const breaker = { read: async (k: string) => { reads.push(k); return records.get(k) ?? initialRecord() } }
  const monitor = new CanaryMonitor({ clock: clockAt(t) })
  const chooser = new RouteChooser({
    rules: [], defaultRoute: 'chat', clock: clockAt(t), monitor,
    splits: new Map([['chat', { route: 'chat#green', weight: 50, targetKeys: ['m@us-east-1'] }]]),
    tier: () => undefined,
    splitKey: (event) => (event as { key?: string }).key,
  })
  const keys = Array.from({ length: 200 }, (_, i) => `k${i}`)
  const greenKey = keys.find((k) => isGreen(k, 50)) as string
  const blueKey = keys.find((k) => !isGreen(k, 50)) as string
  const choose = (key: string) => chooser.forRequest({ key }, {}).chooseRoute(undefined, undefined, breaker)

  it('sends green keys green and blue keys blue, reading breakers only for green keys', async () => {
    expect(await choose(greenKey)).toBe('chat#green')
    reads.length = 0
    expect(await choose(blueKey)).toBe('chat')
    expect(reads).toEqual([])
    expect(await chooser.forRequest({}, {}).chooseRoute()).toBe('chat') // no key: blue
  })

  it('sends green keys blue while a green target is open and cooling down; back once the cooldown ends', async () => {
    records.set('m@us-east-1', { ...initialRecord(), state: 'open', openUntil: 20_000 })
    expect(await choose(greenKey)).toBe('chat')
    expect(monitor.abortedFor('chat')).toBe('green-open')
    t.now = 20_000 // cooldown over: the breaker admits probes on the next call, so green gets traffic again
    expect(await choose(greenKey)).toBe('chat#green')
    records.set('m@us-east-1', { ...initialRecord(), state: 'half-open' })
    expect(await choose(greenKey)).toBe('chat#green')
  })
})
