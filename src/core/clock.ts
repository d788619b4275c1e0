import { schedule, type TimerHandle } from './watchdog.js'

/** Time source. Injected everywhere so tests and benches are deterministic. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /**
   * Optional: calls `fn(arg)` after `ms` unless cancelled — the attempt timer without a promise per attempt. Only
   * the system clock has it (one shared timer, see watchdog.ts); other clocks' timers go through `sleep`. `now` is
   * this clock's reading if the caller just made one (the timer then need not read it again).
   */
  timer?<A>(ms: number, fn: (arg: A) => void, arg: A, now?: number): TimerHandle
}

/** Random source returning a float in [0, 1). */
export type Random = () => number

export const systemClock: Clock = {
  now: () => Date.now(),
  timer: schedule,
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = (): void => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, Math.max(0, ms))
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}
