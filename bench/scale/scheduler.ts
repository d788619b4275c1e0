/**
 * The scale model's simulated clock: a discrete-event scheduler. `sleep(ms)` parks the caller until the simulated
 * time reaches now + ms; `run(until)` jumps from one due time to the next, wakes every sleeper due then, and lets
 * the promise chains they start settle (one macrotask turn) before moving on. Thousands of containers' invocations,
 * Bedrock calls and DynamoDB round trips interleave as they would in time, with no thread and no real wait.
 */
interface Sleeper { readonly at: number; readonly seq: number; readonly wake: () => void }

const before = (a: Sleeper, b: Sleeper): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

export class Scheduler {
  #now: number
  #seq = 0
  readonly #heap: Sleeper[] = []

  constructor(start: number) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.#push({ at: this.#now + Math.max(0, Math.round(ms)), seq: this.#seq++, wake }))
  }

  /** Runs until nothing is due before `until` (epoch ms of the simulated clock). */
  async run(until: number): Promise<void> {
    for (;;) {
      const first = this.#heap[0]
      if (first === undefined || first.at > until) break
      this.#now = first.at
      while (this.#heap[0] !== undefined && this.#heap[0].at === this.#now) this.#pop().wake()
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    this.#now = Math.max(this.#now, until)
  }

  #push(s: Sleeper): void {
    const h = this.#heap
    h.push(s)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(h[i] as Sleeper, h[parent] as Sleeper)) break
      ;[h[i], h[parent]] = [h[parent] as Sleeper, h[i] as Sleeper]
      i = parent
    }
  }

  #pop(): Sleeper {
    const h = this.#heap
    const top = h[0] as Sleeper
    const last = h.pop() as Sleeper
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l] as Sleeper, h[m] as Sleeper)) m = l
        if (r < h.length && before(h[r] as Sleeper, h[m] as Sleeper)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m] as Sleeper, h[i] as Sleeper]
        i = m
      }
    }
    return top
  }
}
