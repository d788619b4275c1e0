/**
 * The system clock's attempt timers: one `setTimeout` per container, armed for the earliest pending attempt, instead
 * of one per attempt. An attempt that ends in time (nearly all) costs a link and an unlink in a list, not a timer insert,
 * unenroll and clear in Node's timer lists, which the overhead bench showed as a tenth of Breakwater's own cost.
 * The timer is unref'd: it never keeps a process alive by itself (a call in flight holds its socket).
 */

/** A scheduled timer; `cancel()` is idempotent. */
export interface TimerHandle {
  cancel(): void
}

/**
 * A pending timer, linked into its watchdog's list. A list, not a Set: a Set that empties shrinks its table and the
 * next insert grows it again, an allocation per attempt that the overhead bench showed.
 */
class Entry<A> implements TimerHandle {
  prev: Entry<unknown> | undefined
  next: Entry<unknown> | undefined
  linked = true

  constructor(readonly at: number, readonly fn: (arg: A) => void, readonly arg: A, readonly owner: Watchdog) {}

  cancel(): void {
    if (this.linked) this.owner.unlink(this as Entry<unknown>)
  }
}

class Watchdog {
  #head: Entry<unknown> | undefined
  #tail: Entry<unknown> | undefined
  size = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #armedAt = Number.POSITIVE_INFINITY

  schedule<A>(ms: number, fn: (arg: A) => void, arg: A, now = Date.now()): TimerHandle {
    const entry = new Entry(now + Math.max(0, ms), fn, arg, this) as Entry<unknown>
    // Appended, so that entries due together fire in the order they were scheduled.
    entry.prev = this.#tail
    if (this.#tail === undefined) this.#head = entry
    else this.#tail.next = entry
    this.#tail = entry
    this.size++
    if (entry.at < this.#armedAt) this.#arm(entry.at)
    return entry
  }

  unlink(entry: Entry<unknown>): void {
    entry.linked = false
    if (entry.prev === undefined) this.#head = entry.next
    else entry.prev.next = entry.next
    if (entry.next === undefined) this.#tail = entry.prev
    else entry.next.prev = entry.prev
    entry.prev = entry.next = undefined
    this.size--
  }

  /** Fires every entry that is due, then re-arms for the next one, if any. A cancelled entry is simply gone. */
  fire(): void {
    this.#timer = undefined
    this.#armedAt = Number.POSITIVE_INFINITY
    const now = Date.now()
    let next = Number.POSITIVE_INFINITY
    const due: Entry<unknown>[] = []
    for (let entry = this.#head; entry !== undefined; entry = entry.next) {
      if (entry.at <= now) due.push(entry)
      else if (entry.at < next) next = entry.at
    }
    // Unlinked before any runs: a timer's function may schedule or cancel others.
    for (const entry of due) this.unlink(entry)
    due.sort((a, b) => a.at - b.at)
    for (const entry of due) {
      try { entry.fn(entry.arg) } catch { /* one timer's failure must not stop the others */ }
    }
    // A function that ran may have armed an earlier timer already.
    if (next < this.#armedAt) this.#arm(next)
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

/** Calls `fn(arg)` after `ms` unless cancelled first; `now` is `Date.now()` if the caller just read it. */
export const schedule = <A>(ms: number, fn: (arg: A) => void, arg: A, now?: number): TimerHandle => WATCHDOG.schedule(ms, fn, arg, now)

/** Timers scheduled and neither fired nor cancelled (tests). */
export const pendingTimers = (): number => WATCHDOG.size
