/**
 * Property: several breaker instances share one store while fast-check's scheduler interleaves every store call
 * (so reads go stale and compare-and-sets race). Every committed write is checked against the state machine's
 * rules; every round checks what the instances were told.
 */
import fc from 'fast-check'
import { CircuitBreaker } from '../../../src/core/breaker/circuit-breaker.js'
import { MemoryBreakerStore } from '../../../src/core/breaker/memory-store.js'
import { applyProbeChange } from '../../../src/core/breaker/probe-change.js'
import { resolvePolicy } from '../../../src/core/breaker/policy.js'
import {
  initialRecord, type Admission, type BreakerEvent, type BreakerPolicy, type BreakerRecord, type BreakerStore,
  type CompareAndSetResult, type ProbeChange,
} from '../../../src/core/breaker/types.js'
import { FakeClock } from '../../support/fake-clock.js'
import { judge, type Commit } from './rules.js'

const KEY = 'us-east-1/model'
type Outcome = 'success' | 'failure' | 'release' | 'leak'
interface Round {
  readonly advanceMs: number
  readonly requests: readonly { readonly instance: number; readonly outcome: Outcome; readonly delay: number }[]
}

/** Mirrors the single key's record so each commit is logged, in order, with what it replaced. */
class Recorder implements BreakerStore {
  current = initialRecord()
  readonly commits: Commit[] = []
  readonly disagreements: string[] = []
  constructor(private readonly inner: MemoryBreakerStore, private readonly clock: FakeClock) {}
  read(key: string, now: number): Promise<BreakerRecord> { return this.inner.read(key, now) }
  recordOutcome(...args: Parameters<BreakerStore['recordOutcome']>) { return this.inner.recordOutcome(...args) }
  compareAndSet(key: string, expected: BreakerRecord, next: BreakerRecord, change?: ProbeChange): Promise<CompareAndSetResult> {
    // Decided synchronously, exactly as the memory store decides, so the log order is the write order. A probe
    // change lands on whatever is current if it fits: the rules judge the record it leaves.
    const written = change !== undefined ? applyProbeChange(this.current, change)
      : expected.version === this.current.version ? next : undefined
    const ok = written !== undefined
    if (written !== undefined) {
      this.commits.push({ before: this.current, after: written, now: this.clock.now() })
      this.current = written
    }
    return this.inner.compareAndSet(key, expected, next, change).then((result) => {
      if (result.ok !== ok) this.disagreements.push(`store said ${result.ok} for v${expected.version}`)
      return result
    })
  }
}

/** Every store call waits for the scheduler; a read's value is taken first and handed over late (a stale read). */
const scheduled = (s: fc.Scheduler, inner: BreakerStore): BreakerStore => ({
  read: (key, now) => s.schedule(inner.read(key, now), 'read'),
  recordOutcome: (key, outcome, now, windowMs, sinceMs) =>
    s.schedule(Promise.resolve(), outcome).then(() => inner.recordOutcome(key, outcome, now, windowMs, sinceMs)),
  compareAndSet: (key, expected, next, change) =>
    s.schedule(Promise.resolve(), 'cas').then(() => inner.compareAndSet(key, expected, next, change)),
})

const policyArb = (strict: boolean): fc.Arbitrary<BreakerPolicy> => fc.record({
  probeStages: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }).map((a) => a.sort((x, y) => x - y)),
  permitLeaseMs: strict ? fc.constant(1e12) : fc.integer({ min: 100, max: 2000 }),
  cooldownMs: fc.integer({ min: 100, max: 2000 }),
  cooldownMultiplier: fc.constantFrom(1, 1.5, 2, 3),
  capFactor: fc.integer({ min: 1, max: 8 }),
  consecutiveFailures: fc.integer({ min: 1, max: 4 }),
  minimumCalls: fc.integer({ min: 1, max: 8 }),
  failureRateThreshold: fc.double({ min: 0.1, max: 1, noNaN: true }),
  windowMs: fc.integer({ min: 1000, max: 10_000 }),
}).map(({ capFactor, ...p }) => resolvePolicy({ ...p, maxCooldownMs: p.cooldownMs * capFactor }, 'test'))

const roundsArb = (strict: boolean) => fc.array(fc.record({
  advanceMs: fc.integer({ min: 0, max: 2500 }),
  requests: fc.array(fc.record({
    instance: fc.nat({ max: 3 }),
    outcome: fc.oneof(
      { arbitrary: fc.constant<Outcome>('success'), weight: 4 },
      { arbitrary: fc.constant<Outcome>('failure'), weight: 2 },
      { arbitrary: fc.constantFrom<Outcome>('release', 'leak'), weight: strict ? 0 : 1 },
    ),
    delay: fc.nat({ max: 2 }),
  }), { maxLength: 8 }),
}), { minLength: 1, maxLength: 40 })

const seen = { halfOpen: 0, closedAgain: 0, reopened: 0, contended: 0 }

async function runFleet(
  s: fc.Scheduler, policy: BreakerPolicy, instances: number, rounds: readonly Round[], strict: boolean,
): Promise<void> {
  const clock = new FakeClock(1_000_000)
  const recorder = new Recorder(new MemoryBreakerStore(), clock)
  const events: BreakerEvent[] = []
  let ids = 0
  const breakers = Array.from({ length: instances }, () => new CircuitBreaker({
    store: scheduled(s, recorder), policy, clock, listener: (e) => events.push(e), newPermitId: () => `p${++ids}`,
  }))
  type Held = { readonly due: number; readonly breaker: CircuitBreaker; readonly admission: Admission; readonly outcome: Outcome }
  const report = ({ breaker, admission, outcome }: Held): Promise<void> =>
    outcome === 'success' ? breaker.onSuccess(KEY, admission)
      : outcome === 'failure' ? breaker.onFailure(KEY, admission) : breaker.release(KEY, admission)
  let held: Held[] = []

  for (const [r, round] of rounds.entries()) {
    await clock.advance(round.advanceMs)
    const now = clock.now()
    const atStart = recorder.current
    const due = held.filter((h) => h.due <= r)
    held = held.filter((h) => h.due > r)
    const answers: Admission[] = []
    const tasks = [...due.map(report), ...round.requests.map(async ({ instance, outcome, delay }) => {
      const breaker = breakers[instance % instances]!
      const admission = await breaker.admit(KEY)
      answers.push(admission)
      if (!admission.allowed || outcome === 'leak') return
      const h: Held = { due: r + delay, breaker, admission, outcome }
      if (delay === 0) await report(h)
      else held.push(h)
    })]
    await s.waitIdle()
    await Promise.all(tasks)

    const allowed = answers.filter((a) => a.allowed)
    if (atStart.state === 'open' && now < atStart.openUntil) expect(allowed).toEqual([])
    for (const a of allowed) {
      expect(a.state).not.toBe('open')
      if (a.state === 'half-open') expect(a.allowed && a.permit).toBeTruthy()
    }
    seen.contended += answers.filter((a) => !a.allowed && a.retryInMs === 100).length
  }

  expect(recorder.disagreements).toEqual([])
  expect(events.filter((e) => e.type === 'store-error')).toEqual([])
  expect(judge(policy, recorder.commits, strict)).toEqual([])
  const changes = recorder.commits.filter((c) => c.before.state !== c.after.state)
  expect(events.filter((e) => e.type === 'transition').map((e) => e.type === 'transition' && `${e.from}>${e.to}`))
    .toEqual(changes.map((c) => `${c.before.state}>${c.after.state}`))
  const granted = (c: (typeof recorder.commits)[number]): number =>
    c.after.permits.filter((p) => !c.before.permits.some((q) => q.id === p.id)).length
  const grants = recorder.commits.reduce((n, c) => n + granted(c), 0)
  expect(events.filter((e) => e.type === 'probe-granted')).toHaveLength(grants)
  if (changes.some((c) => c.after.state === 'half-open')) seen.halfOpen++
  if (changes.some((c) => c.after.state === 'closed')) seen.closedAgain++
  if (changes.some((c) => c.before.state === 'half-open' && c.after.state === 'open')) seen.reopened++
}

describe.each([false, true])('a fleet sharing one store (strict leases: %s)', (strict) => {
  it('keeps every rule of the state machine under racing instances', async () => {
    Object.assign(seen, { halfOpen: 0, closedAgain: 0, reopened: 0, contended: 0 })
    await fc.assert(fc.asyncProperty(fc.scheduler(), policyArb(strict), fc.integer({ min: 2, max: 4 }), roundsArb(strict),
      (s, policy, instances, rounds) => runFleet(s, policy, instances, rounds, strict)), { numRuns: 200 })
    // The properties above only mean something if the runs reached the interesting states.
    expect(seen.halfOpen).toBeGreaterThan(40)
    expect(seen.closedAgain).toBeGreaterThan(3)
    expect(seen.reopened).toBeGreaterThan(10)
  })
})
