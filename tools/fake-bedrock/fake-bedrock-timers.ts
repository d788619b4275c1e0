/** The fake server's timers (delays, pacing), kept in one place so none outlives its call or the server. */
import type { ServerHttp2Stream } from 'node:http2'

/** Runs `fn` after `ms`, unless the call's stream closes or the server stops first. */
export type Schedule = (ms: number, fn: () => void) => void

export class Timers {
  private readonly all = new Set<NodeJS.Timeout>()

  /** A scheduler for one call: its pending timers are cleared when its stream closes (one listener per call). */
  forStream(stream: ServerHttp2Stream): Schedule {
    const mine = new Set<NodeJS.Timeout>()
    stream.on('close', () => {
      for (const timer of mine) this.drop(timer, mine)
    })
    return (ms, fn) => {
      const timer = setTimeout(() => { this.drop(timer, mine); fn() }, ms)
      mine.add(timer)
      this.all.add(timer)
    }
  }

  /** Clears every pending timer: `stop()` leaves Jest no open handle. */
  clear(): void {
    for (const timer of this.all) clearTimeout(timer)
    this.all.clear()
  }

  private drop(timer: NodeJS.Timeout, mine: Set<NodeJS.Timeout>): void {
    clearTimeout(timer)
    mine.delete(timer)
    this.all.delete(timer)
  }
}
