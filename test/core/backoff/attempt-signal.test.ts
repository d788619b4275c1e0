import { getEventListeners } from 'node:events'
import fc from 'fast-check'
import { withAttemptSignal } from '../../../src/core/backoff/deadline.js'
import { pendingTimers } from '../../../src/core/watchdog.js'
import { systemClock } from '../../../src/core/clock.js'
import { AttemptTimeoutError } from '../../../src/core/errors.js'
import { FakeClock } from '../../support/fake-clock.js'

/** Lets promise callbacks run (FakeClock.advance does this itself). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('withAttemptSignal', () => {
  it('aborts with AttemptTimeoutError exactly when the clock reaches the timeout, and leaves no timer', async () => {
    const clock = new FakeClock(1_000)
    const { signal } = withAttemptSignal(clock, 1_000, [])
    expect(clock.pending).toBe(1)
    await clock.advance(999)
    expect(signal.aborted).toBe(false)
    await clock.advance(1)
    expect(signal.aborted).toBe(true)
    expect(signal.reason).toBeInstanceOf(AttemptTimeoutError)
    expect((signal.reason as AttemptTimeoutError).timeoutMs).toBe(1_000)
    expect(clock.pending).toBe(0)
  })

  it("aborts with the parent's own reason when a parent aborts first, and cancels the timer", async () => {
    const clock = new FakeClock()
    const parent = new AbortController()
    const { signal } = withAttemptSignal(clock, 5_000, [undefined, new AbortController().signal, parent.signal])
    const reason = new Error('Lambda is shutting down')
    parent.abort(reason)
    expect(signal.reason).toBe(reason)
    await flush()
    expect(clock.pending).toBe(0)
    await clock.advance(10_000)
    expect(signal.reason).toBe(reason)
  })

  it('is aborted from the start when a parent already is, without starting a timer', () => {
    const clock = new FakeClock()
    const reason = new Error('client went away')
    const { signal } = withAttemptSignal(clock, 5_000, [AbortSignal.abort(reason)])
    expect(signal.reason).toBe(reason)
    expect(clock.pending).toBe(0)
  })

  it('dispose() cancels the timer and detaches from the parents; twice is harmless', async () => {
    const clock = new FakeClock()
    const parent = new AbortController()
    const attempt = withAttemptSignal(clock, 1_000, [parent.signal])
    const { signal } = attempt
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1)
    attempt.dispose()
    attempt.dispose()
    await flush()
    expect(clock.pending).toBe(0)
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0)
    parent.abort(new Error('late'))
    await clock.advance(2_000)
    expect(signal.aborted).toBe(false)
  })

  it('aborts at once for a timeout of 0 or less, and sets no timer for Infinity', () => {
    const clock = new FakeClock()
    expect(withAttemptSignal(clock, 0, []).signal.reason).toBeInstanceOf(AttemptTimeoutError)
    expect(withAttemptSignal(clock, -5, []).signal.reason).toBeInstanceOf(AttemptTimeoutError)
    expect(withAttemptSignal(clock, Infinity, []).signal.aborted).toBe(false)
    expect(clock.pending).toBe(0)
  })

  it('with the system clock: times out for real, and dispose() cancels its timer (one shared watchdog timer)', async () => {
    const before = pendingTimers()
    const long = withAttemptSignal(systemClock, 60_000, [])
    expect(pendingTimers()).toBe(before + 1)
    long.dispose()
    expect(pendingTimers()).toBe(before)
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(long.signal.aborted).toBe(false)

    const short = withAttemptSignal(systemClock, 20, [])
    const later = withAttemptSignal(systemClock, 60_000, [])
    await new Promise((resolve) => short.signal.addEventListener('abort', resolve, { once: true }))
    expect(short.signal.reason).toBeInstanceOf(AttemptTimeoutError)
    // The watchdog fired the due timer only, and is re-armed for the later one.
    expect(later.signal.aborted).toBe(false)
    expect(pendingTimers()).toBe(before + 1)
    later.dispose()
    expect(pendingTimers()).toBe(before)
  })

  it('property: the first of the timeout and the parent aborts decides the reason; no timer outlives it', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 10_000 }),
      fc.array(fc.option(fc.integer({ min: 0, max: 12_000 }), { nil: undefined }), { maxLength: 4 }),
      async (timeoutMs, abortTimes) => {
        const clock = new FakeClock(0)
        const parents = abortTimes.map(() => new AbortController())
        const reasons = abortTimes.map((_, i) => new Error(`parent ${i}`))
        const { signal } = withAttemptSignal(clock, timeoutMs, parents.map((p) => p.signal))
        const schedule = abortTimes
          .map((at, i) => ({ at, i }))
          .filter((e): e is { at: number; i: number } => e.at !== undefined)
          .sort((a, b) => a.at - b.at)
        for (const [k, { at, i }] of schedule.entries()) {
          await clock.advance(at - clock.now())
          // The timer fires within advance(), before a parent gets to abort at the same instant.
          expect(signal.aborted).toBe(at >= timeoutMs || k > 0)
          parents[i]!.abort(reasons[i])
        }
        await clock.advance(Math.max(0, timeoutMs - clock.now()))
        const first = schedule[0]
        if (first !== undefined && first.at < timeoutMs) expect(signal.reason).toBe(reasons[first.i])
        else expect(signal.reason).toBeInstanceOf(AttemptTimeoutError)
        expect(clock.pending).toBe(0)
      },
    ))
  })
})
