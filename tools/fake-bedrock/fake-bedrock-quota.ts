/**
 * Bedrock's on-demand quotas as the fake enforces them: requests per minute (RPM) and tokens per minute (TPM) per
 * model and region, shared by every caller of the server. Each is a token bucket that refills continuously on the
 * injected clock. At admission a call is charged one request and `inputTokens + maxTokens`; a call that finds either
 * bucket short is throttled and charged nothing; when it ends, what it did not use (`maxTokens - outputTokens`) is
 * given back. Pure: no I/O, no timers, only the clock it is given.
 */

/** One quota. Filters left out match every model (region) — each model and region still gets buckets of its own. */
export interface QuotaRule {
  readonly model?: string
  readonly region?: string
  /** Requests admitted per minute. Left out: requests are not limited. */
  readonly requestsPerMinute?: number
  /** Tokens (input + reserved output) admitted per minute. Left out: tokens are not limited. */
  readonly tokensPerMinute?: number
  /** What a full bucket holds, in seconds of refill (its burst). Default 60: one minute's worth. */
  readonly burstSeconds?: number
}

/** Which bucket was short. */
export type QuotaBound = 'requests' | 'tokens'

/** What a call asks of its (model, region) at admission. */
export interface QuotaCharge {
  readonly model: string
  readonly region: string
  readonly inputTokens: number
  readonly maxTokens: number
}

/** The verdict on a call: admitted (settle it once, when it ends) or throttled by the bucket that was short. */
export type Admission =
  | { readonly admitted: true; readonly settle: (outputTokens: number) => void }
  | { readonly admitted: false; readonly bound: QuotaBound }

/** Levels of a (model, region)'s buckets; a dimension without a limit is undefined. */
export interface QuotaHeadroom { readonly requests: number | undefined; readonly tokens: number | undefined }

const DEFAULT_BURST_SECONDS = 60
const UNLIMITED: Admission = { admitted: true, settle: () => undefined }

/**
 * One token bucket: `level` of `capacity`, refilled at `perMs`, last brought up to date at `at`. `floor` is the least
 * capacity it is given whatever the burst: 1 for requests, so a short burst still admits one call at a time.
 */
export class Bucket {
  private capacity = 0
  private perMs = 0
  private level = 0
  private at: number

  constructor(perMinute: number, burstSeconds: number, now: number, private readonly floor = 0) {
    this.at = now
    this.resize(perMinute, burstSeconds, now)
    this.level = this.capacity
  }

  /** The level now, after refilling since the last look (never above capacity). */
  levelAt(now: number): number {
    if (now > this.at) {
      this.level = Math.min(this.capacity, this.level + (now - this.at) * this.perMs)
      this.at = now
    }
    return this.level
  }

  take(amount: number, now: number): void {
    this.level = Math.max(0, this.levelAt(now) - amount)
  }

  give(amount: number, now: number): void {
    this.level = Math.min(this.capacity, this.levelAt(now) + amount)
  }

  /** New limits from now on: refilled at the old rate until now, then clamped to the new capacity. */
  resize(perMinute: number, burstSeconds: number, now: number): void {
    const level = this.levelAt(now)
    this.perMs = perMinute / 60_000
    this.capacity = Math.max(this.floor, this.perMs * burstSeconds * 1000)
    this.level = Math.min(level, this.capacity)
  }
}

interface Buckets { readonly requests: Bucket | undefined; readonly tokens: Bucket | undefined }

const matches = (rule: QuotaRule, model: string, region: string): boolean =>
  (rule.model === undefined || rule.model === model) && (rule.region === undefined || rule.region === region)

/** The buckets `rule` asks for, each carried over from `old` when it had one (its level kept, clamped), else full. */
function bucketsOf(rule: QuotaRule, old: Buckets | undefined, now: number): Buckets {
  const burst = rule.burstSeconds ?? DEFAULT_BURST_SECONDS
  const carried = (was: Bucket | undefined, perMinute: number | undefined, floor: number): Bucket | undefined => {
    if (perMinute === undefined) return undefined
    if (!was) return new Bucket(perMinute, burst, now, floor)
    was.resize(perMinute, burst, now)
    return was
  }
  return { requests: carried(old?.requests, rule.requestsPerMinute, 1), tokens: carried(old?.tokens, rule.tokensPerMinute, 0) }
}

/**
 * The quotas of one account: rules tried in order, the first that matches a (model, region) sets its limits; a call
 * no rule matches is not limited. Buckets start full the first time their (model, region) meets a quota.
 */
export class QuotaBook {
  private rules: readonly QuotaRule[] = []
  private readonly buckets = new Map<string, Buckets>()

  constructor(private readonly now: () => number) {}

  /**
   * Replaces the whole set. A (model, region) still limited keeps what its buckets hold (refilled at the old rate
   * until now, then clamped to the new capacity, refilling at the new rate); one no longer limited forgets its buckets.
   */
  replace(rules: readonly QuotaRule[]): void {
    for (const rule of rules) checkRule(rule)
    this.rules = [...rules]
    const now = this.now()
    for (const [key, b] of this.buckets) {
      const [model, region] = splitKey(key)
      const rule = this.ruleFor(model, region)
      if (!rule) {
        this.buckets.delete(key)
        continue
      }
      this.buckets.set(key, bucketsOf(rule, b, now))
    }
  }

  /** Charges the call, or throttles it (charged nothing) when a bucket lacks what it needs. */
  admit(charge: QuotaCharge): Admission {
    const b = this.bucketsFor(charge.model, charge.region)
    if (!b) return UNLIMITED
    const now = this.now()
    const reserved = charge.inputTokens + charge.maxTokens
    if (b.requests && b.requests.levelAt(now) < 1) return { admitted: false, bound: 'requests' }
    if (b.tokens && b.tokens.levelAt(now) < reserved) return { admitted: false, bound: 'tokens' }
    b.requests?.take(1, now)
    b.tokens?.take(reserved, now)
    const tokens = b.tokens
    let settled = false
    return {
      admitted: true,
      settle: (outputTokens) => {
        if (settled || !tokens) return
        settled = true
        tokens.give(Math.max(0, charge.maxTokens - outputTokens), this.now())
      },
    }
  }

  /** What the (model, region)'s buckets hold now; undefined when no quota applies to it. */
  headroom(model: string, region: string): QuotaHeadroom | undefined {
    const b = this.bucketsFor(model, region)
    if (!b) return undefined
    const now = this.now()
    return { requests: b.requests?.levelAt(now), tokens: b.tokens?.levelAt(now) }
  }

  private ruleFor(model: string, region: string): QuotaRule | undefined {
    return this.rules.find((r) => matches(r, model, region))
  }

  private bucketsFor(model: string, region: string): Buckets | undefined {
    const key = `${model}\n${region}`
    const known = this.buckets.get(key)
    if (known) return known
    const rule = this.ruleFor(model, region)
    if (!rule) return undefined
    const fresh = bucketsOf(rule, undefined, this.now())
    this.buckets.set(key, fresh)
    return fresh
  }
}

const splitKey = (key: string): [string, string] => {
  const at = key.indexOf('\n')
  return [key.slice(0, at), key.slice(at + 1)]
}

function checkRule(rule: QuotaRule): void {
  for (const [name, value] of [['requestsPerMinute', rule.requestsPerMinute], ['tokensPerMinute', rule.tokensPerMinute]] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new RangeError(`fake-bedrock: ${name} must be a finite number >= 0 (got ${value})`)
    }
  }
  const burst = rule.burstSeconds
  if (burst !== undefined && !(Number.isFinite(burst) && burst > 0)) {
    throw new RangeError(`fake-bedrock: burstSeconds must be a finite number > 0 (got ${burst})`)
  }
}
