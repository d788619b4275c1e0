/**
 * Counts over a sliding window of whole seconds: a ring of 1-second buckets per series with running totals, so
 * adding and reading cost O(1) plus one bucket cleared per second that has passed. The window covers the current
 * second and the `seconds − 1` before it. Used by the retry budget and the adaptive throttle.
 */
export class SecondWindow {
  readonly seconds: number
  readonly #buckets: Float64Array[]
  readonly #totals: Float64Array
  /** The second (epoch ms / 1000, floored) that the newest bucket stands for. */
  #head: number

  /** @param series how many counts are kept side by side (requests and retries, requests and accepts). */
  constructor(seconds: number, series: number, now: number) {
    if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError(`SecondWindow: seconds must be a positive integer (got ${seconds})`)
    this.seconds = seconds
    this.#buckets = Array.from({ length: series }, () => new Float64Array(seconds))
    this.#totals = new Float64Array(series)
    this.#head = Math.floor(now / 1_000)
  }

  /** Adds `n` to `series` in the bucket of `now`. */
  add(now: number, series: number, n = 1): void {
    const slot = this.#advance(now)
    ;(this.#buckets[series] as Float64Array)[slot]! += n
    this.#totals[series]! += n
  }

  /** The series' total over the window ending at `now`. */
  total(now: number, series: number): number {
    this.#advance(now)
    return this.#totals[series] as number
  }

  /**
   * Takes every count out of the window (a delta handed on) and returns them by second, so that `restore` can put
   * back where they were those that are still in the window then (the hand-over failed).
   */
  takeAll(now: number): TakenCounts {
    this.#advance(now)
    const taken = this.#buckets.map((buckets) => {
      const bySecond = new Float64Array(this.seconds)
      for (let age = 0; age < this.seconds; age++) bySecond[age] = buckets[this.#slot(this.#head - age)] as number
      buckets.fill(0)
      return bySecond
    })
    const totals = Array.from(this.#totals)
    this.#totals.fill(0)
    return { head: this.#head, bySeries: taken, totals }
  }

  /** Puts counts `takeAll` took back in their seconds, but for those that have left the window since. */
  restore(taken: TakenCounts, now: number): void {
    this.#advance(now)
    for (let s = 0; s < this.#buckets.length; s++) {
      const bySecond = taken.bySeries[s] as Float64Array
      for (let age = 0; age < bySecond.length; age++) {
        const second = taken.head - age
        if (second <= this.#head - this.seconds || second > this.#head) continue
        ;(this.#buckets[s] as Float64Array)[this.#slot(second)]! += bySecond[age]!
        this.#totals[s]! += bySecond[age]!
      }
    }
  }

  /**
   * Moves the window up to `now`, clearing the buckets of seconds that fell out of it, and returns the current
   * bucket's index. A clock that steps back (NTP) keeps counting into the newest bucket rather than rewriting the past.
   */
  #advance(now: number): number {
    const second = Math.floor(now / 1_000)
    const passed = second - this.#head
    if (passed > 0) {
      for (let i = 1, n = Math.min(passed, this.seconds); i <= n; i++) {
        const slot = this.#slot(this.#head + i)
        for (let s = 0; s < this.#buckets.length; s++) {
          const buckets = this.#buckets[s] as Float64Array
          this.#totals[s]! -= buckets[slot]!
          buckets[slot] = 0
        }
      }
      this.#head = second
    }
    return this.#slot(this.#head)
  }

  #slot(second: number): number {
    return ((second % this.seconds) + this.seconds) % this.seconds
  }
}

/** What `SecondWindow.takeAll` took: per series, the counts by age (0 = the second `head`), and their totals. */
export interface TakenCounts {
  readonly head: number
  readonly bySeries: readonly Float64Array[]
  readonly totals: readonly number[]
}
