/**
 * The canary's collaborator in the cascade: it hears each attempt of a blue/green route and feeds the monitor that
 * decides green's weight. The route tells the side: `name` is blue, `name#green` green. On the green route only
 * green's own targets count: the blue targets its cascade ends in are reached only after green failed, on the
 * prompts green could not serve, and counting them for blue would hide green's failures behind blue's.
 */
import type { AttemptRecord } from '../attempts.js'
import { UPSTREAM_FAILURE_CLASSES } from '../failure.js'
import { targetKey } from '../targets.js'
import type { RouteChooser } from './chooser.js'

export class CanaryRecorder {
  readonly #chooser: RouteChooser
  /** Green route → the keys of green's own targets. */
  readonly #greenKeys: ReadonlyMap<string, ReadonlySet<string>>

  constructor(chooser: RouteChooser) {
    this.#chooser = chooser
    this.#greenKeys = new Map([...chooser.settings.splits].map(([, g]) => [g.route, new Set(g.targetKeys)]))
  }

  /** Only routers with a blue/green route need one. */
  static for(chooser: RouteChooser | undefined): CanaryRecorder | undefined {
    return chooser !== undefined && chooser.settings.splits.size > 0 ? new CanaryRecorder(chooser) : undefined
  }

  attempt(record: AttemptRecord, route: string): void {
    const { monitor, splits } = this.#chooser.settings
    const blue = this.#chooser.blueOf.get(route)
    const side = blue !== undefined
      ? (this.#greenKeys.get(route)?.has(targetKey(record.target)) ? 'green' : undefined)
      : splits.has(route) ? 'blue' : undefined
    if (side === undefined) return
    // Caller faults, overflow and skips are not the model's failures.
    if (record.outcome === 'success') monitor.record(blue ?? route, side, true)
    else if ((UPSTREAM_FAILURE_CLASSES as ReadonlySet<string>).has(record.outcome)) monitor.record(blue ?? route, side, false)
  }
}
