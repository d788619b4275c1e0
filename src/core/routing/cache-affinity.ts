/**
 * Prompt-cache affinity: Bedrock's prompt cache (`cachePoint` blocks) is kept per model and region for about five
 * minutes, so a request whose cached prefix a region served recently is cheaper and faster there. When a fallback
 * moved a prefix to another region of the same model, later requests with that prefix try that region first instead
 * of throwing the cache away; an open breaker there still skips it without a call, and the route's order across
 * models is never changed (a smaller model is not preferred for its cache).
 *
 * Per container, in memory: a prefix is known by a 32-bit FNV-1a hash and the length of its JSON (a collision only
 * sends a request to another region of the same model: a cache miss, never a wrong answer).
 */
import { modelRegionKey, type Target } from '../targets.js'
import { fnv1a32 } from './hash.js'

/** Bedrock's prompt cache keeps a prefix five minutes after its last use. */
export const CACHE_TTL_MS = 5 * 60_000
const MAX_ENTRIES = 1_000

interface Shaped {
  readonly toolConfig?: { readonly tools?: unknown }
  readonly system?: unknown
  readonly messages?: unknown
}

const isCachePoint = (block: unknown): boolean => typeof block === 'object' && block !== null && 'cachePoint' in block
const list = (x: unknown): readonly unknown[] => (Array.isArray(x) ? x : [])

/**
 * The cached prefix of a Converse request — tools, then system, then messages, up to its last `cachePoint` block —
 * as a short key; undefined when it has no cache point.
 */
export function cachedPrefixKey(input: unknown): string | undefined {
  const shaped = (typeof input === 'object' && input !== null ? input : {}) as Shaped
  const blocks: unknown[] = [...list(shaped.toolConfig?.tools), ...list(shaped.system)]
  for (const m of list(shaped.messages)) {
    const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown }
    blocks.push(role, ...list(content))
  }
  let last = -1
  for (let i = blocks.length - 1; i >= 0; i--) {
    if (isCachePoint(blocks[i])) {
      last = i
      break
    }
  }
  if (last < 0) return undefined
  const prefix = JSON.stringify(blocks.slice(0, last + 1))
  return `${fnv1a32(prefix).toString(36)}.${prefix.length.toString(36)}`
}

export class CacheAffinity {
  /** Prefix key → the target that served it and when; a Map's order is its age (oldest first). */
  readonly #served = new Map<string, { readonly key: string; readonly at: number }>()

  /**
   * `targets` with the region that last served `prefix` (within the cache's TTL) moved ahead of the other regions of
   * its model; `targets` itself when nothing moves. The region's targets move together, in their order: the cache
   * is the model's in the region, so a tier ladder there (priority, then default) keeps its order.
   */
  prefer(targets: readonly Target[], prefix: string | undefined, now: number): readonly Target[] {
    if (prefix === undefined) return targets
    const entry = this.#served.get(prefix)
    if (entry === undefined || now - entry.at > CACHE_TTL_MS) return targets
    const at = targets.findIndex((t) => modelRegionKey(t) === entry.key)
    if (at <= 0) return targets
    const { model, region } = targets[at] as Target
    const first = targets.findIndex((t) => t.model === model)
    if (first === at) return targets
    const rest = targets.slice(first)
    const warm = (t: Target): boolean => t.model === model && t.region === region
    return [...targets.slice(0, first), ...rest.filter(warm), ...rest.filter((t) => !warm(t))]
  }

  /** `target` served a request with `prefix` at `now`: the cache is warm in its model's region. */
  remember(prefix: string | undefined, target: Target, now: number): void {
    if (prefix === undefined) return
    this.#served.delete(prefix)
    this.#served.set(prefix, { key: modelRegionKey(target), at: now })
    if (this.#served.size > MAX_ENTRIES) this.#served.delete(this.#served.keys().next().value as string)
  }
}
