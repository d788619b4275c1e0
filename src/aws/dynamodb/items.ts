/**
 * The breaker table's items and their DynamoDB shape. One table, composite key:
 *
 * | pk (S)            | sk (S)                 | attributes                                                     | TTL |
 * |-------------------|------------------------|----------------------------------------------------------------|-----|
 * | `<model>@<region>`| `state`                | state, version, changedAt, openUntil, opens, stage,            | no  |
 * |                   |                        | stageSuccesses, permits (map id → expiresAt), slotsTaken       |     |
 * | `<model>@<region>`| `w#<bucket start, ms>` | calls, failures (ADD counters), expiresAt (epoch s)            | yes |
 * |                   |                        | requests, accepts, throttles (ADD counters, admission feed)    |     |
 * | `<model>@<region>`| `q#<minute since epoch>`| requests, tokens (ADD: granted less given back), expiresAt   | yes |
 *
 * The state item changes through conditional writes on `version`, and through probe changes (probe-update.ts):
 * UpdateItems on one permit's map entry, conditioned on the episode, the stage and `slotsTaken` (permits held +
 * stage successes, kept by every write: DynamoDB conditions cannot add) instead of the version. Permits are a map
 * so that two such updates never touch the same path. Window items change only through `ADD`; quota items
 * (targets with a declared `quota` only) through an `ADD` conditioned on staying within the limit, and an `ADD` of
 * the negative to give back (quota-store.ts). A target's items share a partition, so the window is one Query (its
 * `w#` range never reads a `q#` item).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { sortPermits } from '../../core/breaker/probe-change.js'
import type { BreakerRecord, BreakerStateName, ProbePermit } from '../../core/breaker/types.js'
import { num, readNum } from './attributes.js'

export const STATE_SK = 'state'
/** The TTL attribute the table must be configured with (window items only). */
export const TTL_ATTRIBUTE = 'expiresAt'
export const BUCKET_MS = 1000
/** Window items outlive their window by this much before TTL deletes them (TTL itself may lag by hours). */
const TTL_MARGIN_S = 300

type Item = Record<string, AttributeValue>

const STATES: readonly BreakerStateName[] = ['closed', 'open', 'half-open']

export const stateKey = (key: string): Item => ({ pk: { S: key }, sk: { S: STATE_SK } })

/** Zero-padded so the sort key orders buckets in time. */
export const bucketSk = (startMs: number): string => `w#${String(startMs).padStart(15, '0')}`
export const bucketStart = (ms: number): number => ms - (((ms % BUCKET_MS) + BUCKET_MS) % BUCKET_MS)
export const bucketExpiry = (startMs: number, windowMs: number): number => Math.ceil((startMs + BUCKET_MS + windowMs) / 1000) + TTL_MARGIN_S

/** The bucket start, ms, of a window item (its sort key `w#<start>`). */
export const bucketOf = (item: Item): number => Number(item.sk && 'S' in item.sk && item.sk.S ? item.sk.S.slice(2) : NaN)

/**
 * The adaptive throttle's counters on a window item, beside the breaker's `calls` and `failures` (its outcomes:
 * successes flushed every `flushMs`, failures at once). Written only by containers that a target has throttled in
 * the throttle's window, at most once a second each (admission-feed.ts): calls wanted (shed ones included), calls
 * answered with anything but a 429, and 429s. Absent (0) on an item nobody throttled.
 */
export const admissionCountsOf = (item: Item): { requests: number; accepts: number; throttles: number } =>
  ({ requests: readNum(item.requests), accepts: readNum(item.accepts), throttles: readNum(item.throttles) })

export function recordToItem(key: string, r: BreakerRecord): Item {
  return {
    ...stateKey(key),
    state: { S: r.state },
    version: num(r.version),
    changedAt: num(r.changedAt),
    openUntil: num(r.openUntil),
    opens: num(r.opens),
    stage: num(r.stage),
    stageSuccesses: num(r.stageSuccesses),
    permits: { M: Object.fromEntries(r.permits.map((p) => [p.id, num(p.expiresAt)])) },
    slotsTaken: num(r.permits.length + r.stageSuccesses),
  }
}

/** Reads a state item back; an item this code did not write (or a corrupt one) reads as "unknown state: closed". */
export function itemToRecord(item: Item): BreakerRecord {
  const state = item.state && 'S' in item.state ? (item.state.S as BreakerStateName) : 'closed'
  return {
    state: STATES.includes(state) ? state : 'closed',
    version: readNum(item.version),
    changedAt: readNum(item.changedAt),
    openUntil: readNum(item.openUntil),
    opens: readNum(item.opens),
    stage: readNum(item.stage),
    stageSuccesses: readNum(item.stageSuccesses),
    permits: readPermits(item.permits),
  }
}

/** The permit map (id → expiresAt), in canonical order; the list of `{ id, expiresAt }` earlier builds wrote, too. */
function readPermits(value: AttributeValue | undefined): ProbePermit[] {
  const permits: ProbePermit[] = []
  if (value && 'M' in value) {
    for (const [id, expiresAt] of Object.entries(value.M ?? {})) if (id) permits.push({ id, expiresAt: readNum(expiresAt) })
  } else if (value && 'L' in value) {
    for (const entry of value.L ?? []) {
      const m = 'M' in entry ? entry.M : undefined
      if (m?.id && 'S' in m.id && m.id.S) permits.push({ id: m.id.S, expiresAt: readNum(m.expiresAt) })
    }
  }
  return sortPermits(permits)
}

export const countsOf = (item: Item): { calls: number; failures: number } =>
  ({ calls: readNum(item.calls), failures: readNum(item.failures) })

/** A quota item outlives its minute by this much (TTL itself may lag by hours; a lagging item is never read again). */
const QUOTA_TTL_MARGIN_S = 300

export const quotaKey = (key: string, minute: number): Item => ({ pk: { S: key }, sk: { S: `q#${minute}` } })
export const quotaExpiry = (minute: number): number => (minute + 1) * 60 + QUOTA_TTL_MARGIN_S
export const quotaUsed = (item: Item): { requests: number; tokens: number } =>
  ({ requests: readNum(item.requests), tokens: readNum(item.tokens) })
