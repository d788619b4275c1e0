/**
 * The adaptive throttle fed by the fleet (core/admission/fleet-feed.ts), over an in-memory feed that answers like
 * the DynamoDB one (read the window's buckets, then add the delta to the bucket of `now`). Time is a number the
 * test moves; nothing waits on a real timer.
 */
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { AdaptiveThrottle, MIN_REQUESTS } from '../../../src/core/admission/adaptive-throttle.js'
import {
  ACCEPTS, FEED_RETRY_MS, REPORT_INTERVAL_MS, REQUESTS, TargetCounts, THROTTLES,
  type AdmissionCounts, type AdmissionFeed, type FleetBuckets,
} from '../../../src/core/admission/fleet-feed.js'
import { SecondWindow } from '../../../src/core/window.js'
import { seededRandom } from '../../../tools/fake-bedrock/fake-bedrock.js'

const T0 = 1_700_000_000_000
const SERIES = [REQUESTS, ACCEPTS, THROTTLES] as const
const field = (c: AdmissionCounts, s: number): number => (s === REQUESTS ? c.requests : s === ACCEPTS ? c.accepts : c.throttles)

/** The table's window items in memory: per key, per bucket start, the fleet's counts. */
class MemoryFeed implements AdmissionFeed {
  readonly buckets = new Map<string, Map<number, AdmissionCounts>>()
  readonly reports: { key: string; now: number; delta: AdmissionCounts }[] = []
  /** Decides whether a report fails (before anything is added, like the DynamoDB feed's failed read). */
  fail: (now: number) => boolean = () => false

  async report(key: string, delta: AdmissionCounts, now: number, windowMs: number): Promise<FleetBuckets> {
    this.reports.push({ key, now, delta })
    if (this.fail(now)) throw new Error('table down')
    const byStart = this.buckets.get(key) ?? new Map<number, AdmissionCounts>()
    this.buckets.set(key, byStart)
    const start = now - (now % 1_000)
    const old = byStart.get(start) ?? { requests: 0, accepts: 0, throttles: 0 }
    byStart.set(start, {
      requests: old.requests + delta.requests, accepts: old.accepts + delta.accepts, throttles: old.throttles + delta.throttles,
    })
    const window = new Map<number, AdmissionCounts>()
    for (const [s, c] of byStart) if (s > start - windowMs && s <= start) window.set(s, c)
    return window
  }

  total(key: string, series: number): number {
    let sum = 0
    for (const c of this.buckets.get(key)?.values() ?? []) sum += field(c, series)
    return sum
  }
}

describe('SecondWindow.takeAll / restore', () => {
  it('taking every count and putting it back later leaves the window as if nothing had been taken', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.record({
        gapMs: fc.integer({ min: 0, max: 2_500 }), series: fc.integer({ min: 0, max: 1 }), n: fc.integer({ min: -1, max: 3 }),
      }), { maxLength: 60 }),
      fc.nat(59), fc.integer({ min: 0, max: 3_000 }),
      (seconds, steps, takeAt, flightMs) => {
        const kept = new SecondWindow(seconds, 2, T0)
        const taken = new SecondWindow(seconds, 2, T0)
        let now = T0
        steps.forEach((step, i) => {
          now += step.gapMs
          kept.add(now, step.series, step.n)
          taken.add(now, step.series, step.n)
          if (i !== takeAt) return
          const out = taken.takeAll(now)
          expect(out.totals).toEqual([kept.total(now, 0), kept.total(now, 1)])
          expect(taken.total(now, 0)).toBe(0)
          now += flightMs
          taken.restore(out, now)
        })
        for (const s of [0, 1]) expect(taken.total(now, s)).toBe(kept.total(now, s))
      },
    ), { numRuns: 200 })
  })
})

describe('TargetCounts with a feed', () => {
  it('counts nothing twice: each sees at most the fleet\'s counts, at least its own, and all once everyone has reported', async () => {
    const windowMs = 600_000 // long enough that nothing ages out: only double counting could break the sums
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.record({
        who: fc.nat(4), gapMs: fc.integer({ min: 0, max: 1_500 }),
        act: fc.constantFrom('request', 'accept', 'throttle', 'report', 'report'), fails: fc.boolean(),
      }), { maxLength: 80 }),
      async (size, steps) => {
        const feed = new MemoryFeed()
        const fleet = Array.from({ length: size }, () => new TargetCounts(windowMs, T0))
        const own = fleet.map(() => [0, 0, 0])
        const all = [0, 0, 0]
        let now = T0
        let failing = false
        feed.fail = () => failing
        const check = (): void => {
          fleet.forEach((c, i) => {
            for (const s of SERIES) {
              expect(c.total(now, s)).toBeLessThanOrEqual(all[s]!)
              expect(c.total(now, s)).toBeGreaterThanOrEqual(own[i]![s]!)
            }
          })
        }
        for (const step of steps) {
          const i = step.who % size
          now += step.gapMs
          if (step.act === 'report') {
            failing = step.fails
            await fleet[i]!.exchange(feed, 'k', now, windowMs)
          } else {
            const s = step.act === 'request' ? REQUESTS : step.act === 'accept' ? ACCEPTS : THROTTLES
            fleet[i]!.add(now, s)
            own[i]![s]!++
            all[s]!++
          }
          check()
        }
        // Everyone reports (no failures now): the published totals are all the counts, and the last to report sees them all.
        failing = false
        for (const c of fleet) await c.exchange(feed, 'k', (now += 10), windowMs)
        for (const s of SERIES) {
          expect(feed.total('k', s)).toBe(all[s])
          expect(fleet[size - 1]!.total(now, s)).toBe(all[s])
        }
      },
    ), { numRuns: 150 })
  })

  it('a failed report leaves the counts where they were: a feed that always fails, the same decisions as none', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({
        gapMs: fc.integer({ min: 0, max: 700 }), act: fc.constantFrom('call', 'throttle', 'throttle', 'throttle', 'refuse'),
      }), { maxLength: 150 }),
      fc.integer({ min: 1, max: 1_000 }),
      async (steps, seed) => {
        const feed = new MemoryFeed()
        feed.fail = () => true
        const errors: string[] = []
        const fed = new AdaptiveThrottle({}, { feed, onFeedError: (key) => errors.push(key) })
        const alone = new AdaptiveThrottle()
        const [r1, r2] = [seededRandom(seed), seededRandom(seed)]
        let now = T0
        for (const step of steps) {
          now += step.gapMs
          const syncing = fed.sync('t', now)
          expect(alone.sync('t', now)).toBeUndefined()
          if (syncing !== undefined) await syncing
          if (step.act === 'refuse') {
            fed.refused('t', now)
            alone.refused('t', now)
            continue
          }
          const admitted = fed.admit('t', now, r1)
          expect(alone.admit('t', now, r2)).toBe(admitted)
          if (!admitted) continue
          if (step.act === 'throttle') {
            fed.throttled('t', now)
            alone.throttled('t', now)
          } else {
            fed.accepted('t', now)
            alone.accepted('t', now)
          }
          expect(fed.sheddingRate('t', now)).toBe(alone.sheddingRate('t', now))
        }
        // Each failure silenced the feed for FEED_RETRY_MS, for every target, and each was heard.
        expect(errors.length).toBe(feed.reports.length)
        feed.reports.slice(1).forEach((r, i) => expect(r.now - feed.reports[i]!.now).toBeGreaterThanOrEqual(FEED_RETRY_MS))
      },
    ), { numRuns: 150 })
  })
})

describe('the cost rule', () => {
  it('no 429, no report; while throttled, at most one report per target per second, and none a window after the last 429', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({
        gapMs: fc.integer({ min: 0, max: 900 }), key: fc.constantFrom('a', 'b'), throttled: fc.boolean(), calm: fc.boolean(),
      }), { maxLength: 150 }),
      async (steps) => {
        const feed = new MemoryFeed()
        const throttle = new AdaptiveThrottle({}, { feed })
        const lastThrottle = new Map<string, number>()
        let now = T0
        for (const step of steps) {
          now += step.gapMs
          const before = feed.reports.length
          const syncing = throttle.sync(step.key, now)
          if (syncing !== undefined) await syncing
          const since = lastThrottle.get(step.key)
          // The happy path: a container this target has not throttled within the window makes no call at all.
          if (since === undefined || now - since >= throttle.policy.windowMs) {
            expect(syncing).toBeUndefined()
            expect(feed.reports.length).toBe(before)
          }
          if (!throttle.admit(step.key, now, () => 0.5)) continue
          if (step.throttled && !step.calm) {
            throttle.throttled(step.key, now)
            lastThrottle.set(step.key, now)
          } else {
            throttle.accepted(step.key, now)
          }
        }
        for (const key of ['a', 'b']) {
          const times = feed.reports.filter((r) => r.key === key).map((r) => r.now)
          times.slice(1).forEach((t, i) => expect(t - times[i]!).toBeGreaterThanOrEqual(REPORT_INTERVAL_MS))
        }
      },
    ), { numRuns: 150 })
  })
})

describe('a fleet of quiet containers', () => {
  /**
   * 10 containers, each sending ~3 calls a second to a target that throttles 70 % of them. Alone, a container has
   * 9 requests in its window after 3 s — under MIN_REQUESTS, so it sheds nothing; fed, the fleet's window passes it
   * within the first second or two, and every container sheds.
   */
  async function run(fed: boolean): Promise<{ shedBy: number[]; reports: number; calls: number }> {
    const feed = new MemoryFeed()
    const random = seededRandom(13)
    const fleet = Array.from({ length: 10 }, () => new AdaptiveThrottle({}, fed ? { feed } : {}))
    const shedBy = fleet.map(() => 0)
    let calls = 0
    for (let tick = 0; tick < 9; tick++) { // 3 s, a call per container every ~333 ms
      for (let i = 0; i < fleet.length; i++) {
        const now = T0 + tick * 333 + i * 7
        const throttle = fleet[i]!
        const syncing = throttle.sync('t', now)
        if (syncing !== undefined) await syncing
        if (!throttle.admit('t', now, random)) {
          shedBy[i]!++
          continue
        }
        calls++
        if (random() < 0.7) throttle.throttled('t', now)
        else throttle.accepted('t', now)
      }
    }
    return { shedBy, reports: feed.reports.length, calls }
  }

  it('alone, none sheds in its first 3 s (9 requests < MIN_REQUESTS); fed, every one does', async () => {
    expect(MIN_REQUESTS).toBeGreaterThan(9)
    const alone = await run(false)
    expect(alone.shedBy).toEqual(Array(10).fill(0))
    const fed = await run(true)
    expect(fed.shedBy.every((n) => n > 0)).toBe(true)
    expect(fed.calls).toBeLessThan(alone.calls * 0.8)
    // At most one report per container per second: 3 s × 10 containers.
    expect(fed.reports).toBeLessThanOrEqual(3 * 10)
  })
})
