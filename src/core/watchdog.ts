/**
 * The system clock's attempt timers: one `setTimeout` per container, armed for the earliest pending attempt, instead
 * of one per attempt. An attempt that ends in time (nearly all) costs a Set insert and delete, not a timer insert,
 * unenroll and clear in Node's timer lists, which the overhead bench showed as a tenth of Breakwater's own cost.
 * The timer is unref'd: it never keeps a process alive by itself (a call in flight holds its socket).
 */

/** A scheduled timer; `cancel()` is idempotent. */
export interface TimerHandle {
  cancel(): void
}

class Entry<A> implements TimerHandle {
  constructor(readonly at: number, readonly fn: (arg: A) => void, readonly arg: A, readonly owner: Watchdog) {}

  cancel(): void {
    this.owner.pending.delete(this as Entry<unknown>)
  }
}

class Watchdog {
  readonly pending = new Set<Entry<unknown>>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #armedAt = Number.POSITIVE_INFINITY

  schedule<A>(ms: number, fn: (arg: A) => void, arg: A): TimerHandle {
    const entry = new Entry(Date.now() + Math.max(0, ms), fn, arg, this)
    this.pending.add(entry as Entry<unknown>)
    if (entry.at < this.#armedAt) this.#arm(entry.at)
    return entry
  }

  /** Fires every entry that is due, then re-arms for the next one, if any. A cancelled entry is simply gone. */
  fire(): void {
    this.#timer = undefined
    this.#armedAt = Number.POSITIVE_INFINITY
    const now = Date.now()
    let next = Number.POSITIVE_INFINITY
    for (const entry of this.pending) {
      if (entry.at <= now) {
        this.pending.delete(entry)
        try { entry.fn(entry.arg) } catch { /* one timer's failure must not stop the others */ }
      } else if (entry.at < next) next = entry.at
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next)
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#armedAt = at
    this.#timer = setTimeout(fireWatchdog, Math.max(0, at - Date.now()), this)
    this.#timer.unref?.()
  }
}

const fireWatchdog = (dog: Watchdog): void => dog.fire()

const WATCHDOG = new Watchdog()

/** Calls `fn(arg)` after `ms` unless cancelled first. */
export const schedule = <A>(ms: number, fn: (arg: A) => void, arg: A): TimerHandle => WATCHDOG.schedule(ms, fn, arg)

/** Timers scheduled and neither fired nor cancelled (tests). */
export const pendingTimers = (): number => WATCHDOG.pending.size
