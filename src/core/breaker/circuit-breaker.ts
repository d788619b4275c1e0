/**
 * A circuit breaker over a `BreakerStore`: the pure machine decides, the store's compare-and-set makes it stick.
 * When instances race for a transition, exactly one write lands and the others re-decide against the record it
 * left: that is how a fleet agrees on one open → half-open change and on who holds the few probe permits.
 * The breaker must never become the outage: a store that can fail runs behind a FallbackBreakerStore, which on a
 * failure reports 'store-error' and carries on with in-container state seeded from the last shared record (a target
 * still cooling down stays open) until the shared store is tried again. That is the one fail-open path.
 */
import { systemClock, type Clock } from '../clock.js'
import { FallbackBreakerStore } from './fallback-store.js'
import * as machine from './machine.js'
import { isSharedStore } from './fleet.js'
import { probeChange } from './probe-change.js'
import { resolvePolicy } from './policy.js'
import type {
  Admission, BreakerEvent, BreakerListener, BreakerPolicy, BreakerRecord, BreakerStore, WindowCounts,
} from './types.js'

/** Settings of the core `CircuitBreaker` (the middleware's `CircuitBreakerOptions` are built into these). */
export interface CircuitBreakerSettings {
  /** Where records live: `MemoryBreakerStore` for one container, a DynamoDB store for the fleet. */
  readonly store: BreakerStore
  /** Overrides of `DEFAULT_BREAKER_POLICY`, validated here (throws `BreakwaterConfigError`). */
  readonly policy?: Partial<BreakerPolicy>
  /**
   * After a failure of a shared store, how long to run on local state before trying it again, ms. Default 30 000.
   * Any store but the in-container ones (`MemoryBreakerStore`, `FallbackBreakerStore`) can fail and gets this.
   */
  readonly localFallbackMs?: number
  /** Defaults to the system clock. */
  readonly clock?: Clock
  /** Hears transitions, granted probes and store errors. May throw; it is ignored if it does. */
  readonly listener?: BreakerListener
  /** Makes probe permit ids. Defaults to random UUIDs; tests inject a counter. */
  readonly newPermitId?: () => string
}

const SOURCE = 'breakwater/circuit-breaker'
/**
 * Compare-and-set attempts per decision. Each lost race means another writer made progress, and the loser decides
 * again on the winner's record, so a decision ends within the writers of one stage: a probe that lost to another
 * probe is still admitted while the stage has permits left (fan-out: 20 calls racing stage 2 take its 5 permits,
 * not 2). A verdict must land too (a lost failure would let a ramp close over a failed probe). The cap only guards
 * against a store that never accepts anything.
 */
const MAX_CAS_TRIES = 64
/**
 * An admission stops racing after this long, on the user's request: a record this hot is being probed by others
 * right now, and the call is refused with a short retry hint rather than held up.
 */
const ADMIT_BUDGET_MS = 1_000
/** Retry hint for a probe lost to contention: other instances are probing right now, check back soon. */
const CONTENDED_RETRY_MS = 100
const CLOSED: Admission = Object.freeze({ allowed: true, state: 'closed' })
/** Counts that say nothing: the failure was counted against an older record than the one stored. */
const NO_COUNTS: WindowCounts = Object.freeze({ calls: 0, failures: 0, consecutiveFailures: 0 })

/** How an admitted call ended, for the breaker: counted for or against the target, or given back without a verdict. */
export type Verdict = 'success' | 'failure' | 'release'
/** What a call run under the breaker returns: its verdict for the breaker and its value for the caller. */
export interface Settled<T> { readonly verdict: Verdict; readonly value: T }

/** One decision: the verdict, and the record to write for it (absent = nothing to write). */
interface Step<T> { readonly value: T; readonly next?: BreakerRecord | undefined }
interface Done<T> { readonly value: T; readonly record: BreakerRecord }

/**
 * @example
 * const breaker = new CircuitBreaker({ store: new MemoryBreakerStore(), policy: { cooldownMs: 30_000 } })
 * const key = 'us-east-1/anthropic.claude-3-haiku'
 * const admission = await breaker.admit(key)
 * if (admission.allowed) {
 *   try { await call(); await breaker.onSuccess(key, admission) } catch { await breaker.onFailure(key, admission) }
 * }
 */
export class CircuitBreaker {
  readonly policy: BreakerPolicy
  readonly #store: BreakerStore
  readonly #clock: Clock
  /** The clock the breaker decides by (an engine on the same clock hands it its readings). */
  get clock(): Clock {
    return this.#clock
  }
  readonly #listener: BreakerListener | undefined
  readonly #newPermitId: () => string
  /** The newest record seen per key: what fail-open decides from when the store is down. */
  readonly #lastKnown = new Map<string, BreakerRecord>()

  constructor(options: CircuitBreakerSettings) {
    this.policy = resolvePolicy(options.policy, SOURCE)
    // The one fail-open path: a store that can fail (shared with other instances) runs behind a local fallback.
    this.#store = isSharedStore(options.store)
      ? new FallbackBreakerStore({
        primary: options.store,
        retryAfterMs: options.localFallbackMs,
        clock: options.clock,
        onError: (operation, key, error) => this.#emit({ type: 'store-error', key, operation, error }),
      })
      : options.store
    this.#clock = options.clock ?? systemClock
    this.#listener = options.listener
    // Web Crypto's global (Node 19+), so core imports no Node module.
    this.#newPermitId = options.newPermitId ?? (() => globalThis.crypto.randomUUID())
  }

  /**
   * Runs one call to `key` under the breaker: admits it or not (`denied` answers then, and `call` never runs), lets
   * it run, and settles its verdict exactly once, on every path: a call that throws is released (it says nothing
   * about the target). A closed breaker on a fresh record admits with no await and records a success without
   * waiting for the store, so the happy path costs the call and little else.
   *
   * `now` is the caller's reading of this breaker's clock, if it just made one (one read less per call); `call` is
   * given it back when it was admitted without an await, so that it need not read the clock again either.
   */
  async run<T>(
    key: string,
    call: (admission: Admission, admittedAt: number | undefined) => Promise<Settled<T>>,
    denied: (admission: Extract<Admission, { allowed: false }>) => T,
    now?: number,
  ): Promise<T> {
    let admission = this.#admitFromPeek(key, now ?? this.#clock.now())
    let admittedAt = now
    if (admission === undefined) {
      admission = await this.admit(key)
      admittedAt = undefined
    }
    if (!admission.allowed) return denied(admission)
    let settled: Settled<T>
    try {
      settled = await call(admission, admittedAt)
    } catch (error) {
      await this.release(key, admission)
      throw error
    }
    const { verdict } = settled
    if (verdict === 'success' && admission.permit === undefined) {
      // No permit: a success changes no state, only the window, which the call need not wait for.
      const store = this.#store
      if (store.countSuccess !== undefined) store.countSuccess(key, this.#clock.now(), this.policy.windowMs, this.#since(key))
      else void this.#recordOutcome(key, 'success', this.#since(key))
    } else if (verdict === 'success') await this.onSuccess(key, admission)
    else if (verdict === 'failure') await this.onFailure(key, admission)
    else await this.release(key, admission)
    return settled.value
  }

  /** The admission a fresh in-memory record decides without a write (closed; open and cooling down), if any. */
  #admitFromPeek(key: string, now: number): Admission | undefined {
    const record = this.#store.peek?.(key, now)
    if (record === undefined) return undefined
    if (record.state === 'closed') {
      if (this.#lastKnown.get(key) !== record) this.#lastKnown.set(key, record)
      return CLOSED
    }
    const { admission, next } = machine.admit(record, this.policy, now, this.#newPermitId)
    if (next !== undefined) return undefined
    this.#lastKnown.set(key, record)
    return admission
  }

  /** May a call go to `key` now? In half-open, an allowed admission carries the probe permit to report back. */
  async admit(key: string): Promise<Admission> {
    const now = this.#clock.now()
      const done = await this.#transact(key, now, (record) => {
      const { admission: value, next } = machine.admit(record, this.policy, now, this.#newPermitId)
      return { value, next }
    }, now + ADMIT_BUDGET_MS)
    // Lost every race (a store that accepts nothing): other writers own the record right now.
    if (done === undefined) return { allowed: false, state: 'half-open', retryInMs: CONTENDED_RETRY_MS }
    const admission = done.value
    if (admission.allowed && admission.permit !== undefined) {
      this.#emit({ type: 'probe-granted', key, stage: done.record.stage, permitId: admission.permit.id })
    }
    return admission
  }

  /** The admitted call succeeded. Counts in the window; a probe's success advances the half-open ramp. */
  async onSuccess(key: string, admission: Admission): Promise<void> {
    if (!admission.allowed) return
    await this.#recordOutcome(key, 'success', this.#since(key))
    const permit = admission.permit
    // Without a permit a success changes no state (closed stays closed; a straggler cannot advance the ramp).
    if (permit === undefined) return
    await this.#update(key, (record, now) => machine.onSuccess(record, this.policy, now, permit.id))
  }

  /** The admitted call failed in a way that counts against the target (not the caller's fault). */
  async onFailure(key: string, admission: Admission): Promise<void> {
    if (!admission.allowed) return
    const since = this.#since(key)
    const counts = await this.#recordOutcome(key, 'failure', since)
    const permitId = admission.permit?.id
    // Neither a trip nor a probe: no state can change, so skip the read (the common failure at low rates).
    if (permitId === undefined && !machine.shouldTrip(counts, this.policy)) return
    await this.#update(key, (record, now) => {
      // Counted against an older record than the one stored (another instance changed it since we last looked):
      // those counts reach back past its last change, e.g. to the failures before a close. No trip on them; the
      // next failure counts against this record, which `#transact` has now made the last known one.
      const current = record.changedAt > since ? NO_COUNTS : counts
      return machine.onFailure(record, current, this.policy, now, permitId)
    })
  }

  /** Gives a probe permit back without a verdict (the call never reached the target, or the caller was at fault). */
  async release(key: string, admission: Admission): Promise<void> {
    if (!admission.allowed || admission.permit === undefined) return
    const { id } = admission.permit
    await this.#update(key, (record, now) => machine.release(record, now, id, this.policy.clockSkewMs))
  }

  /** The record for `key` as the store in use has it (the shared one, or local state while it fails). */
  async read(key: string): Promise<BreakerRecord> {
    const record = await this.#store.read(key, this.#clock.now())
    this.#lastKnown.set(key, record)
    return record
  }

  /**
   * Where `key`'s window starts: the last change of the record this instance last saw (the admit that let this
   * call through read it). After a close that is the close, so only outcomes since then count.
   */
  #since(key: string): number {
    return this.#lastKnown.get(key)?.changedAt ?? 0
  }

  #recordOutcome(key: string, outcome: 'success' | 'failure', since: number): Promise<WindowCounts> {
    return this.#store.recordOutcome(key, outcome, this.#clock.now(), this.policy.windowMs, since)
  }

  async #update(key: string, decide: (r: BreakerRecord, now: number) => BreakerRecord | undefined): Promise<void> {
    const now = this.#clock.now()
    await this.#transact(key, now, (record) => ({ value: undefined, next: decide(record, now) }))
  }

  /**
   * Read, decide, compare-and-set; on a lost race decide again against the record that won. Resolves to the
   * verdict and the record it stands on, or `undefined` when it still needed a write after MAX_CAS_TRIES or at `giveUpAt`.
   */
  async #transact<T>(
    key: string, now: number, decide: (record: BreakerRecord) => Step<T>, giveUpAt = Number.POSITIVE_INFINITY,
  ): Promise<Done<T> | undefined> {
    let record = await this.#store.read(key, now)
    for (let attempt = 0; ; attempt++) {
      const { value, next } = decide(record)
      if (next === undefined) {
        this.#lastKnown.set(key, record)
        return { value, record }
      }
      if (attempt === MAX_CAS_TRIES || this.#clock.now() >= giveUpAt) return undefined
      // A probe change (a permit taken, a success within a stage) may land on a newer record than `record`: the
      // store answers with the record that resulted, which is what the verdict stands on.
      const change = probeChange(record, next, this.policy)
      const result = await this.#store.compareAndSet(key, record, next, change)
      this.#lastKnown.set(key, result.record)
      if (result.ok) {
        if (record.state !== next.state) {
          this.#emit({ type: 'transition', key, from: record.state, to: next.state, record: result.record })
        }
        return { value, record: result.record }
      }
      record = result.record
    }
  }

  #emit(event: BreakerEvent): void {
    // A logging or metrics hook that throws must not turn into a failed call.
    try { this.#listener?.(event) } catch { /* ignored */ }
  }
}
