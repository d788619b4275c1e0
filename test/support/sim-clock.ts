/**
 * A discrete-event clock for async code: `run(promise)` lets microtasks and I/O settle, then jumps time to the next
 * pending sleep, until the promise settles. Sleeps, attempt timeouts and backoff all follow it, so a test of a
 * 30-second cascade takes milliseconds and always interleaves the same way.
 */
import type { Clock } from '../../src/core/clock.js'

interface Timer { at: number; seq: number; resolve: () => void }

export class SimClock implements Clock {
  #now: number
  #seq = 0
  #timers: Timer[] = []
  /** Every sleep that was asked for, in ms, in order (including ones later cancelled). */
  readonly sleeps: number[] = []

  constructor(start = 1_700_000_000_000) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms)
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => { signal?.removeEventListener('abort', onAbort); resolve() },
      }
      const onAbort = (): void => {
        this.#timers = this.#timers.filter((t) => t !== timer)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#timers.push(timer)
    })
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    this.#fireUntil(this.#now + ms)
  }

  /** Drives `promise` to completion, jumping time to the next timer whenever nothing else can happen. */
  async run<T>(promise: Promise<T>, maxJumps = 10_000): Promise<T> {
    let settled = false
    promise.then(() => { settled = true }, () => { settled = true })
    for (let jumps = 0; !settled; jumps++) {
      await settle()
      if (settled) break
      const next = this.#next()
      if (!next) throw new Error('SimClock.run: the promise waits on something other than the clock (deadlock?)')
      if (jumps > maxJumps) throw new Error('SimClock.run: too many timer jumps')
      this.#fireUntil(next.at)
    }
    return promise
  }

  #next(): Timer | undefined {
    return [...this.#timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
  }

  #fireUntil(until: number): void {
    for (let t = this.#next(); t && t.at <= until; t = this.#next()) {
      this.#timers = this.#timers.filter((x) => x !== t)
      this.#now = Math.max(this.#now, t.at)
      t.resolve()
    }
    this.#now = Math.max(this.#now, until)
  }
}

/** Lets pending promise callbacks and immediate I/O run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r))
}
