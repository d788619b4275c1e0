/**
 * The lease book's blocks and how they are sized (quota-book.ts does the taking, charging and giving back): a block
 * is a few seconds of this container's own demand on a target (BLOCK_SECONDS), capped at a share of the minute's
 * limit (MAX_BLOCK_SHARE); a dimension the fleet was found short in is not asked again for SHORT_RETRY_MS. Pure.
 */
import { SecondWindow } from '../window.js'
import { minuteOf, NOTHING, type Amount, type QuotaLimit } from './quota.js'

/** A block is this many seconds of the container's own recent demand on the target. */
export const BLOCK_SECONDS = 5
/** No block is larger than this share of the minute's limit (at least one request, one call's tokens). */
export const MAX_BLOCK_SHARE = 0.1
/** After a take found the fleet's budget short, the store is not asked again for this long. */
export const SHORT_RETRY_MS = 1_000

/** The demand window's series. */
export const REQUESTS = 0
export const TOKENS = 1

export interface Block {
  readonly minute: number
  /** What is left to spend; each dimension may dip below 0 never (a charge needs what it costs). */
  left: Amount
  /** How much of what was taken came from the shared store, and from the local fallback: where gives go. */
  shared: Amount
  local: Amount
  inFlight: number
  takes: number
  /** The last charge to it, or take for it: a block unused for IDLE_MS goes back. */
  lastUse: number
}

export interface KeyState {
  readonly key: string
  readonly limit: QuotaLimit
  readonly maxBlock: Amount
  readonly demand: SecondWindow
  /** The current minute's block last; older ones stay while calls charged to them are in flight. */
  readonly blocks: Block[]
  taking: Promise<void> | undefined
  /** Per dimension, when a take last found the fleet short (granted less than asked): it is not asked again for SHORT_RETRY_MS. */
  shortAt: { requests: number; tokens: number }
}

/** A target's state in a new book: no block yet, its largest block a MAX_BLOCK_SHARE of each limit. */
export function keyState(key: string, limit: QuotaLimit, now: number): KeyState {
  const share = (n: number | undefined): number => (n === undefined ? 0 : Math.max(1, Math.floor(n * MAX_BLOCK_SHARE)))
  return {
    key, limit, maxBlock: { requests: share(limit.requests), tokens: share(limit.tokens) },
    demand: new SecondWindow(BLOCK_SECONDS, 2, now), blocks: [], taking: undefined, shortAt: { requests: -Infinity, tokens: -Infinity },
  }
}

/** The block of `minute`: the current one, or a new empty one (the current minute's block is the last). */
export function blockOf(state: KeyState, minute: number): Block {
  const current = state.blocks[state.blocks.length - 1]
  if (current !== undefined && current.minute === minute) return current
  const block: Block = { minute, left: NOTHING, shared: NOTHING, local: NOTHING, inFlight: 0, takes: 0, lastUse: -Infinity }
  state.blocks.push(block)
  return block
}

/**
 * What to ask the store for: in each dimension short of `cost`, a block's worth (at least what is missing); in a
 * dimension not short yet but under half a block, a top-up to a block, so the two run out together and one take
 * serves both (with both limited, that took 23 takes a minute at 10 calls/s instead of 15).
 */
export function blockWant(state: KeyState, block: Block, cost: Amount, now: number): Amount {
  const dimension = (limit: number | undefined, left: number, need: number, series: number, max: number): number => {
    if (limit === undefined) return 0
    const size = Math.min(max, Math.max(1, Math.round(state.demand.total(now, series))))
    if (left >= need) return left - need < size / 2 ? Math.min(limit, size) : 0
    return Math.min(limit, Math.max(need - left, size))
  }
  return {
    requests: dimension(state.limit.requests, block.left.requests, cost.requests, REQUESTS, state.maxBlock.requests),
    tokens: dimension(state.limit.tokens, block.left.tokens, cost.tokens, TOKENS, state.maxBlock.tokens),
  }
}

/** Each dimension the block is short of `cost` in was found empty less than SHORT_RETRY_MS ago, this minute: not asked yet. */
export function knownShort(state: KeyState, left: Amount, cost: Amount, now: number): boolean {
  const { limit, shortAt } = state
  // A new minute is a new budget, however recently the last one ran out.
  const recent = (at: number): boolean => now - at < SHORT_RETRY_MS && minuteOf(at) === minuteOf(now)
  const missesRequests = limit.requests !== undefined && left.requests < cost.requests
  const missesTokens = limit.tokens !== undefined && left.tokens < cost.tokens
  return (!missesRequests || recent(shortAt.requests)) && (!missesTokens || recent(shortAt.tokens))
}
