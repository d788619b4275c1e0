/**
 * The circuit breaker's data and the store contract. The state machine (machine.ts) is pure: it maps a record and
 * an event to the next record. The store keeps records and changes them only by compare-and-set on `version`, so a
 * store backed by DynamoDB conditional writes fits without the engine changing.
 */
import type { AdmissionFeed } from '../admission/fleet-feed.js'

export type BreakerStateName = 'closed' | 'open' | 'half-open'

/** Tuning of one breaker. Every time is in ms. */
export interface BreakerPolicy {
  /** Failure rate (0..1] over the window at which a closed breaker opens. Default 0.3. */
  readonly failureRateThreshold: number
  /** Length of the sliding window the failure rate is computed over. Default 60 000. */
  readonly windowMs: number
  /** Calls the window must hold before the failure rate can trip it. Default 10. */
  readonly minimumCalls: number
  /** Consecutive failures that trip it whatever the volume (for low traffic). Default 5. */
  readonly consecutiveFailures: number
  /**
   * How long it stays open the first time. Default 60 000; 5 000 for a breaker shared by a fleet (a table or a store
   * of its own), where one probe serves every container (see core/breaker/fleet.ts).
   */
  readonly cooldownMs: number
  /** Each reopen without a full close in between multiplies the cooldown by this. Default 2; 1 for a fleet's. */
  readonly cooldownMultiplier: number
  /** The cooldown never grows past this. Default 600 000; a fleet's `cooldownMs` when its multiplier is 1. */
  readonly maxCooldownMs: number
  /** Half-open stages: how many probes each stage admits and must see succeed. Default [1, 5, 10]. */
  readonly probeStages: readonly number[]
  /** A probe permit not reported back within this is taken as lost (its holder died) and freed. Default 30 000. */
  readonly permitLeaseMs: number
  /**
   * How far apart the clocks of the instances sharing the state may be. A permit is reclaimed only this long after
   * its lease ends (by the reclaimer's clock), so a holder whose clock runs behind is never overtaken while it is
   * still probing. Default 0 in-container; the DynamoDB store's preset default is 2 000.
   */
  readonly clockSkewMs: number
}

/** A probe permit handed out in half-open state. */
export interface ProbePermit {
  readonly id: string
  /** Epoch ms after which the permit is void and its slot free again. */
  readonly expiresAt: number
}

/** The persisted state of one target's breaker. */
export interface BreakerRecord {
  readonly state: BreakerStateName
  /** Bumped on every write; the store's compare-and-set checks it. 0 = never written. */
  readonly version: number
  /** When it last changed state, epoch ms. */
  readonly changedAt: number
  /** While open: epoch ms when it may go half-open. */
  readonly openUntil: number
  /** How many times it has opened since it was last closed (drives the growing cooldown). */
  readonly opens: number
  /** While half-open: index into `probeStages`. */
  readonly stage: number
  /** While half-open: probes of the current stage that have succeeded. */
  readonly stageSuccesses: number
  /** While half-open: permits of the current stage still in flight. */
  readonly permits: readonly ProbePermit[]
}

/**
 * What a store knows of recent outcomes for one target: those of the sliding window that are not older than the
 * `sinceMs` the caller gave (see `BreakerStore.recordOutcome`).
 */
export interface WindowCounts {
  /** Calls (successes + failures) in the window since `sinceMs`. */
  readonly calls: number
  /** Failures in the window since `sinceMs`. */
  readonly failures: number
  /** Failures since the last success, counting none recorded before `sinceMs`. */
  readonly consecutiveFailures: number
}

/**
 * A probe change: one of the two writes of a half-open ramp that commute with others of their kind (see
 * probe-change.ts). `take` adds a permit to a stage with a free slot; `pass` turns a held permit into a success
 * of its stage without completing it. Both belong to one half-open episode and stage (`changedAt`, `opens` and
 * `stage` of the record they were decided on) and carry the stage's size, so a store can check them against
 * whatever record it holds now rather than against one exact version.
 */
export type ProbeChange =
  | (ProbeStage & { readonly kind: 'take'; readonly permit: ProbePermit })
  | (ProbeStage & { readonly kind: 'pass'; readonly permitId: string })

/** The half-open episode and stage a probe change belongs to. */
export interface ProbeStage {
  readonly changedAt: number
  readonly opens: number
  readonly stage: number
  /** Probes the stage admits (`probeStages[stage]`): permits out plus successes never exceed it. */
  readonly stageSize: number
}

export type CompareAndSetResult =
  | { readonly ok: true; readonly record: BreakerRecord }
  /** The stored version was not the expected one: `record` is what is stored now. */
  | { readonly ok: false; readonly record: BreakerRecord }

/**
 * Where breaker state lives. `MemoryBreakerStore` keeps it in the container; a DynamoDB store shares it with the
 * fleet. Implementations may cache `read`; `compareAndSet` must be atomic against every other writer.
 */
export interface BreakerStore {
  /**
   * The fleet's admission counts, kept beside the breaker's window (the DynamoDB store's): the adaptive throttle
   * judges a target by the fleet's calls when its own are too few. Optional: absent, it counts per container.
   */
  readonly admissionFeed?: AdmissionFeed
  /** The current record for `key` (a fresh closed record with version 0 if none). May be served from cache. */
  read(key: string, now: number): Promise<BreakerRecord>
  /**
   * The record for `key` when the store holds a fresh one in memory, without waiting; `undefined` sends the caller
   * to `read`. Optional: it lets a closed breaker admit a call with no await at all (the hot path).
   */
  peek?(key: string, now: number): BreakerRecord | undefined
  /**
   * Adds one outcome to `key`'s sliding window and returns the window as the store now sees it. A store may
   * aggregate successes and write them later; failures should be written promptly.
   *
   * `sinceMs` starts the window over: the breaker passes the `changedAt` of the record it acts on, so after a
   * close only outcomes since the close count — not the failures that tripped it, nor anything recorded while it
   * was open or half-open. The counts cover outcomes of the last `windowMs` that are not older than `sinceMs`:
   * - Rate (`calls`, `failures`): a store that counts in time buckets counts a bucket only if it starts after
   *   `sinceMs` (0, a record never written, skips nothing). So it never counts an outcome from before `sinceMs`,
   *   nor one from its very millisecond (which came first cannot be told), and it misses the rest of the bucket
   *   `sinceMs` falls in: with 1-second buckets, up to 1 s just after a close. That is the safe side: counting a
   *   pre-close failure is what re-trips a breaker that has just proved its target healthy, while a target that
   *   is down again keeps failing in the next bucket, and the streak below catches it at once.
   * - Streak (`consecutiveFailures`): exact. It restarts when a newer `sinceMs` arrives, so a failure in the same
   *   second as the close counts towards the streak even though it misses the rate.
   *
   * A store may keep only the newest `sinceMs` it has been given per key and answer an older one from that (only
   * a caller with a stale record passes an older one, and the breaker does not trip on counts from a stale
   * record). The DynamoDB store keeps per-second items of `ADD calls, failures` counters, read back with a query
   * from the later of `now - windowMs` and the second after the one `sinceMs` falls in, and counts the streak per
   * instance: the fleet-wide signal is the rate, and the streak is the trip for traffic too low to have a rate.
   */
  recordOutcome(
    key: string, outcome: 'success' | 'failure', now: number, windowMs: number, sinceMs: number,
  ): Promise<WindowCounts>
  /**
   * `recordOutcome(key, 'success', ...)` when the caller needs no answer (a success without a probe permit changes
   * no state), done at once. Optional: an in-memory store counts it with no promise and no counts object.
   */
  countSuccess?(key: string, now: number, windowMs: number, sinceMs: number): void
  /**
   * Writes `next` only if the stored version still equals `expected.version`.
   *
   * `change`, when given, says that `next` is `expected` plus one probe change (`probeChange(expected, next)`):
   * the store may then apply it to whatever record it holds, when `applyProbeChange(stored, change)` says it
   * still fits (same episode and stage, a free slot, the permit still held), and answer `ok` with the record
   * that results — so two instances taking different permits of one stage both land. A store that ignores
   * `change` stays correct; it only makes the loser of such a race decide again.
   */
  compareAndSet(key: string, expected: BreakerRecord, next: BreakerRecord, change?: ProbeChange): Promise<CompareAndSetResult>
}

/** The answer to "may I call this target now?". */
export type Admission =
  | { readonly allowed: true; readonly state: BreakerStateName; readonly permit?: ProbePermit }
  | { readonly allowed: false; readonly state: BreakerStateName; /** ms until it may admit again */ readonly retryInMs: number }

/** Something a breaker did that logs and metrics should hear about. */
export type BreakerEvent =
  | {
    readonly type: 'transition'
    readonly key: string
    readonly from: BreakerStateName
    readonly to: BreakerStateName
    readonly record: BreakerRecord
  }
  | { readonly type: 'probe-granted'; readonly key: string; readonly stage: number; readonly permitId: string }
  | { readonly type: 'store-error'; readonly key: string; readonly operation: string; readonly error: unknown }

export type BreakerListener = (event: BreakerEvent) => void

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = Object.freeze({
  failureRateThreshold: 0.3,
  windowMs: 60_000,
  minimumCalls: 10,
  consecutiveFailures: 5,
  cooldownMs: 60_000,
  cooldownMultiplier: 2,
  maxCooldownMs: 600_000,
  probeStages: Object.freeze([1, 5, 10]),
  permitLeaseMs: 30_000,
  clockSkewMs: 0,
})

/** The record of a breaker that has never been written. */
export const initialRecord = (): BreakerRecord => ({
  state: 'closed', version: 0, changedAt: 0, openUntil: 0, opens: 0, stage: 0, stageSuccesses: 0, permits: [],
})
