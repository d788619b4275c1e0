/**
 * Known quotas: what a target's declared `quota` is in the engine's terms, the store a fleet shares its per-minute
 * budget through, and that store's in-container implementation. The lease book (quota-book.ts) takes blocks of a
 * minute's budget from a store and spends them locally, so the store is called per block, not per request.
 */

/** A quota in both dimensions Bedrock counts; a dimension left out is not limited. */
export interface QuotaLimit {
  /** Requests per minute. */
  readonly requests?: number | undefined
  /** Tokens per minute: input plus the `maxTokens` asked for, reserved at admission as Bedrock does. */
  readonly tokens?: number | undefined
}

/** An amount of quota: requests and tokens (0 in a dimension that is not limited). */
export interface Amount {
  readonly requests: number
  readonly tokens: number
}

export const NOTHING: Amount = Object.freeze({ requests: 0, tokens: 0 })

/** What a call was charged, to settle once it ends (quota-book.ts). */
export interface Ticket {
  readonly key: string
  readonly minute: number
  readonly cost: Amount
}

/**
 * How a charged call ended: `'unsent'` = never sent (all of it back), a number = the tokens it used (input +
 * output, from the reply's usage; the rest back), `undefined` = not known (a timeout: keep it all).
 */
export type Spent = number | undefined | 'unsent'

/** The minute (since the epoch) a moment belongs to: the unit a fleet's budget is counted in. */
export const MINUTE_MS = 60_000
export const minuteOf = (now: number): number => Math.floor(now / MINUTE_MS)

/**
 * Where a fleet's per-minute budget is kept. Both calls are atomic per (key, minute). `take` grants at most `want`
 * in each dimension and never lets the minute's grants pass `limit`; what it cannot grant in full it grants in part
 * (the rest of the minute's budget). `give` hands back part of what was granted.
 */
export interface QuotaStore {
  take(key: string, minute: number, want: Amount, limit: QuotaLimit): Promise<Amount>
  give(key: string, minute: number, amount: Amount): Promise<void>
}

/** What `take` grants of `want` when `used` of `limit` is gone: all of it, the rest of the minute, or nothing. */
export function grantable(want: Amount, used: Amount, limit: QuotaLimit): Amount {
  const part = (wanted: number, gone: number, max: number | undefined): number =>
    max === undefined ? 0 : Math.max(0, Math.min(wanted, max - gone))
  return { requests: part(want.requests, used.requests, limit.requests), tokens: part(want.tokens, used.tokens, limit.tokens) }
}

export const add = (a: Amount, b: Amount): Amount => ({ requests: a.requests + b.requests, tokens: a.tokens + b.tokens })
export const minus = (a: Amount, b: Amount): Amount => ({ requests: a.requests - b.requests, tokens: a.tokens - b.tokens })
/** Does what is `left` cover `cost` in every dimension `limit` limits? */
export const fits = (left: Amount, cost: Amount, limit: QuotaLimit): boolean =>
  (limit.requests === undefined || left.requests >= cost.requests) && (limit.tokens === undefined || left.tokens >= cost.tokens)

/** Minutes a memory store keeps behind the newest it has seen: a late give of the minute before still lands. */
const KEEP_MINUTES = 2

/**
 * The budget in this container only: the store of a stack without a shared table, and what the lease book falls
 * back to when the shared store fails. Synchronous underneath; the promises are the interface's.
 */
export class MemoryQuotaStore implements QuotaStore {
  readonly #used = new Map<string, { minute: number; used: Amount }>()
  #newest = 0

  take(key: string, minute: number, want: Amount, limit: QuotaLimit): Promise<Amount> {
    return Promise.resolve(this.takeNow(key, minute, want, limit))
  }

  give(key: string, minute: number, amount: Amount): Promise<void> {
    this.giveNow(key, minute, amount)
    return Promise.resolve()
  }

  takeNow(key: string, minute: number, want: Amount, limit: QuotaLimit): Amount {
    this.#forgetOld(minute)
    const entry = this.#entry(key, minute)
    const granted = grantable(want, entry.used, limit)
    entry.used = add(entry.used, granted)
    return granted
  }

  giveNow(key: string, minute: number, amount: Amount): void {
    const entry = this.#used.get(`${key}#${minute}`)
    if (entry === undefined) return // a minute long gone: nothing left to give back to
    entry.used = { requests: Math.max(0, entry.used.requests - amount.requests), tokens: Math.max(0, entry.used.tokens - amount.tokens) }
  }

  /** What the minute's grants add up to now (tests, diagnostics). */
  used(key: string, minute: number): Amount {
    return this.#used.get(`${key}#${minute}`)?.used ?? NOTHING
  }

  #entry(key: string, minute: number): { minute: number; used: Amount } {
    const id = `${key}#${minute}`
    let entry = this.#used.get(id)
    if (entry === undefined) this.#used.set(id, (entry = { minute, used: NOTHING }))
    return entry
  }

  #forgetOld(minute: number): void {
    if (minute <= this.#newest) return
    this.#newest = minute
    for (const [id, entry] of this.#used) if (entry.minute < minute - KEEP_MINUTES) this.#used.delete(id)
  }
}
