/**
 * A manual clock for tests: time moves only when the test says so. `sleep` resolves when `advance` passes its
 * deadline (in deadline order, with the clock set to each deadline as it fires, so code that sleeps again from a
 * woken sleeper sees the right time), and rejects with the signal's reason when aborted first, like systemClock.
 */
import type { Clock } from '../../src/core/clock.js'

interface Sleeper {
  readonly at: number
  /** Tie-breaker: sleepers with the same deadline wake in the order they slept. */
  readonly seq: number
  readonly wake: () => void
}

export class FakeClock implements Clock {
  #now: number
  #seq = 0
  #sleepers: Sleeper[] = []

  constructor(start = 0) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  /** How many sleeps are waiting (handy to assert a retry is parked before advancing). */
  get pending(): number {
    return this.#sleepers.length
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    // Like setTimeout, a zero or negative delay still waits for the next turn, but needs no advance.
    if (!(ms > 0)) return new Promise((resolve) => setImmediate(resolve))
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper)
        reject(signal?.reason)
      }
      const sleeper: Sleeper = {
        at: this.#now + ms,
        seq: this.#seq++,
        wake: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      this.#sleepers.push(sleeper)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * Moves time forward by `ms`, waking every sleeper due on the way. Resolves once woken code has run up to its
   * next real wait, including sleeps it starts that also fall due within this advance.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`)
    const target = this.#now + ms
    for (;;) {
      const due = this.#nextDue(target)
      if (due === undefined) break
      this.#sleepers = this.#sleepers.filter((s) => s !== due)
      this.#now = due.at
      due.wake()
      await flush()
    }
    this.#now = target
    await flush()
  }

  /** Jumps to an absolute time (must not go backwards). */
  async advanceTo(time: number): Promise<void> {
    return this.advance(time - this.#now)
  }

  #nextDue(target: number): Sleeper | undefined {
    let next: Sleeper | undefined
    for (const s of this.#sleepers) {
      if (s.at <= target && (next === undefined || s.at < next.at || (s.at === next.at && s.seq < next.seq))) next = s
    }
    return next
  }
}

/** Lets every queued microtask (and promise chain) run: setImmediate fires only after the microtask queue drains. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
