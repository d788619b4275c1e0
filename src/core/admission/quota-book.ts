/**
 * The lease book: a container's share of each target's per-minute quota. A call is charged before it is sent (one
 * request, and its input tokens plus the `maxTokens` it asks for, as Bedrock reserves them) from a block the
 * container leased from the fleet's budget (a QuotaStore: DynamoDB for a fleet). When the block runs short the book
 * takes another; when the store has nothing left the call is refused and walks on, like a shed call. A reply gives
 * back the tokens it did not use; a block's unused rest goes back to the fleet when its minute ends or its target
 * goes idle in this container.
 *
 * Why blocks: a store call per request is O(requests) writes and a round trip on every call. A block is a few
 * seconds of this container's own demand (BLOCK_SECONDS), so a busy container takes about one a few seconds and a
 * quiet one a small one; capped at a share of the limit (MAX_BLOCK_SHARE) so no container sits on much of a minute
 * others need. Cost per container: about 60 / BLOCK_SECONDS takes and one give a minute per target it calls.
 *
 * What a refusal means (the bound the property tests check): a call is refused only when, at the last take for
 * its target in this container, what the fleet had left unleased plus this container's block was less than the
 * call's cost in some dimension, and that take ended less than SHORT_RETRY_MS ago (an empty fleet is asked at most
 * once a second per container, or refusals would cost a write each). Quota the fleet cannot use then sits in other
 * containers' blocks: at most one block each, MAX_BLOCK_SHARE of the limit.
 *
 * When the store fails, the book takes from an in-container store with the same limits for LOCAL_FALLBACK_MS:
 * each container then holds to the whole limit on its own (see docs/quotas.md for why not a share of it).
 */
import type { Clock } from '../clock.js'
import {
  add, fits, MemoryQuotaStore, minuteOf, minus, NOTHING, type Amount, type QuotaLimit, type QuotaStore, type Spent, type Ticket,
} from './quota.js'
import { blockOf, blockWant, keyState, knownShort, REQUESTS, TOKENS, type Block, type KeyState } from './quota-block.js'

export type { Spent, Ticket } from './quota.js'
export { BLOCK_SECONDS, MAX_BLOCK_SHARE, SHORT_RETRY_MS } from './quota-block.js'

/** A target this container has not charged for this long gives its block back. */
export const IDLE_MS = 10_000
/** After a store failure, how long the book takes from its in-container store. */
export const LOCAL_FALLBACK_MS = 30_000
/** How often a book looks for blocks to give back (ended minutes, idle targets). */
const SWEEP_MS = 1_000


export interface QuotaBookOptions {
  readonly store: QuotaStore
  readonly clock: Pick<Clock, 'now'>
  /** Each limited target's quota, by target key. */
  readonly limits: ReadonlyMap<string, QuotaLimit>
  /** Told of each failure of the shared store (the book then runs on its own store for a while). */
  readonly onStoreError?: (error: unknown, key: string, operation: 'quota-take' | 'quota-give') => void
}


export class QuotaBook {
  readonly #store: QuotaStore
  readonly #local = new MemoryQuotaStore()
  readonly #clock: Pick<Clock, 'now'>
  readonly #states = new Map<string, KeyState>()
  readonly #onStoreError: QuotaBookOptions['onStoreError']
  readonly #gives = new Set<Promise<void>>()
  #localUntil = -Infinity
  #nextSweep = -Infinity

  constructor(options: QuotaBookOptions) {
    this.#store = options.store
    this.#clock = options.clock
    this.#onStoreError = options.onStoreError
    for (const [key, limit] of options.limits) this.#states.set(key, keyState(key, limit, options.clock.now()))
  }

  /** Does `key` have a declared quota? */
  limits(key: string): boolean {
    return this.#states.has(key)
  }

  /**
   * Charges a call to `key` before it is sent: a ticket to settle when it ends, or `'refused'` when the fleet has no
   * quota left for it this minute. Synchronous while the block holds enough (the hot path awaits nothing).
   */
  reserve(key: string, cost: Amount, now: number): Ticket | 'refused' | Promise<Ticket | 'refused'> {
    const state = this.#states.get(key)
    if (state === undefined) return { key, minute: minuteOf(now), cost: NOTHING }
    if (now >= this.#nextSweep) this.#sweep(now)
    state.demand.add(now, REQUESTS, cost.requests)
    state.demand.add(now, TOKENS, cost.tokens)
    // More than a whole minute's quota: no block will ever hold it, and asking the store would only strand a block.
    if (cost.requests > (state.limit.requests ?? Infinity) || cost.tokens > (state.limit.tokens ?? Infinity)) return 'refused'
    return this.#try(state, cost, now, undefined)
  }

  /** A charged call ended: what it did not use goes back into its minute's block (and the fleet's, if that minute is over). */
  settle(ticket: Ticket, spent: Spent, now: number): void {
    const state = this.#states.get(ticket.key)
    const block = state?.blocks.find((b) => b.minute === ticket.minute)
    if (state === undefined || block === undefined) return
    block.inFlight--
    if (spent === 'unsent') block.left = add(block.left, ticket.cost)
    else if (spent !== undefined) block.left = add(block.left, { requests: 0, tokens: Math.max(0, ticket.cost.tokens - spent) })
    if (block.inFlight === 0 && block.takes === 0 && block.minute < minuteOf(now)) this.#close(state, block)
  }

  /**
   * A call whose usage came after its ticket was settled as kept in full (a stream's, at its end): the tokens it did
   * not use go back into its minute's block while this container still holds it; once given back, the charge stays.
   */
  refund(ticket: Ticket, tokensUsed: number): void {
    const block = this.#states.get(ticket.key)?.blocks.find((b) => b.minute === ticket.minute)
    if (block === undefined) return
    block.left = add(block.left, { requests: 0, tokens: Math.max(0, ticket.cost.tokens - tokensUsed) })
  }

  /**
   * Gives back every block that is not needed now: those of minutes that ended, those of targets idle for IDLE_MS.
   * Resolves when the store has them. (Every reserve does this too, at most once a second.)
   */
  release(now: number): Promise<void> {
    this.#sweep(now)
    return this.settled()
  }

  /** Resolves when every give back started so far has ended (tests, a shutdown hook). */
  async settled(): Promise<void> {
    while (this.#gives.size > 0) await Promise.all([...this.#gives])
  }

  /** What this container's current block for `key` holds (tests, diagnostics). */
  left(key: string, now: number): Amount {
    const block = this.#states.get(key)?.blocks.find((b) => b.minute === minuteOf(now))
    return block?.left ?? NOTHING
  }

  /** Per dimension, when a take for `key` last found the fleet short, or -Infinity (tests, diagnostics). */
  shortAt(key: string): Amount {
    const at = this.#states.get(key)?.shortAt
    return at === undefined ? { requests: -Infinity, tokens: -Infinity } : { ...at }
  }

  #try(state: KeyState, cost: Amount, now: number, tookFor: number | undefined): Ticket | 'refused' | Promise<Ticket | 'refused'> {
    // A take in flight was sized for the call that started it: later calls wait for it rather than spend what
    // that call is waiting for (one take would then not be enough for it, however much the fleet had left).
    if (state.taking !== undefined) return state.taking.then(() => this.#try(state, cost, this.#clock.now(), tookFor))
    const minute = minuteOf(now)
    const block = blockOf(state, minute)
    if (fits(block.left, cost, state.limit)) {
      block.left = minus(block.left, cost)
      block.inFlight++
      block.lastUse = now
      return { key: state.key, minute, cost }
    }
    if (tookFor === minute || knownShort(state, block.left, cost, now)) return 'refused'
    const want = blockWant(state, block, cost, now)
    const taking = this.#take(state, block, want)
    state.taking = taking
    return taking.then(() => {
      if (state.taking === taking) state.taking = undefined
      return this.#try(state, cost, this.#clock.now(), minute)
    })
  }


  async #take(state: KeyState, block: Block, want: Amount): Promise<void> {
    block.takes++
    let granted: Amount
    let shared = true
    try {
      if (this.#clock.now() < this.#localUntil) throw LOCAL
      granted = await this.#store.take(state.key, block.minute, want, state.limit)
    } catch (error) {
      if (error !== LOCAL) this.#storeFailed(error, state.key, 'quota-take')
      shared = false
      granted = this.#local.takeNow(state.key, block.minute, want, state.limit)
    } finally {
      block.takes--
    }
    block.left = add(block.left, granted)
    block.lastUse = Math.max(block.lastUse, this.#clock.now())
    if (shared) block.shared = add(block.shared, granted)
    else block.local = add(block.local, granted)
    const now = this.#clock.now()
    if (granted.requests < want.requests) state.shortAt.requests = now
    if (granted.tokens < want.tokens) state.shortAt.tokens = now
    // The minute ended while the store answered: nothing will be charged to this block any more.
    if (block.minute < minuteOf(now) && block.inFlight === 0) this.#close(state, block)
  }

  #sweep(now: number): void {
    this.#nextSweep = now + SWEEP_MS
    const minute = minuteOf(now)
    for (const state of this.#states.values()) {
      for (const block of [...state.blocks]) {
        if (block.inFlight > 0 || block.takes > 0) continue
        if (block.minute < minute) this.#close(state, block)
        else if (now - block.lastUse >= IDLE_MS) this.#giveBack(state, block)
      }
    }
  }

  /** The block's minute is over and nothing is in flight on it: its rest goes back, and the block is forgotten. */
  #close(state: KeyState, block: Block): void {
    this.#giveBack(state, block)
    const at = state.blocks.indexOf(block)
    if (at >= 0) state.blocks.splice(at, 1)
  }

  /** What the block holds goes back where it came from: the shared store first, up to what it gave. */
  #giveBack(state: KeyState, block: Block): void {
    const rest = { requests: Math.max(0, block.left.requests), tokens: Math.max(0, block.left.tokens) }
    if (rest.requests === 0 && rest.tokens === 0) return
    const toShared = { requests: Math.min(rest.requests, block.shared.requests), tokens: Math.min(rest.tokens, block.shared.tokens) }
    const toLocal = minus(rest, toShared)
    block.left = minus(block.left, rest)
    block.shared = minus(block.shared, toShared)
    block.local = minus(block.local, toLocal)
    if (toLocal.requests > 0 || toLocal.tokens > 0) this.#local.giveNow(state.key, block.minute, toLocal)
    if (toShared.requests === 0 && toShared.tokens === 0) return
    // Not awaited by the call that triggered it; a give that fails leaves the fleet that much short, never over.
    const give = this.#store.give(state.key, block.minute, toShared)
      .catch((error: unknown) => this.#storeFailed(error, state.key, 'quota-give'))
    this.#gives.add(give)
    void give.finally(() => this.#gives.delete(give))
  }

  #storeFailed(error: unknown, key: string, operation: 'quota-take' | 'quota-give'): void {
    this.#localUntil = this.#clock.now() + LOCAL_FALLBACK_MS
    try {
      this.#onStoreError?.(error, key, operation)
    } catch {
      // a listener's failure is not the call's
    }
  }
}

/** Thrown (and caught) inside #take to take from the local store while the shared one is given a rest. */
const LOCAL = Symbol('local')


