/**
 * Bedrock's prompt cache as the fake keeps it: per model and region, a request's prefix up to its last `cachePoint`
 * block (toolConfig.tools, then system, then messages) is written on first use and read by any request with the same
 * prefix in the next five minutes (each read renews it). The reply's `usage` says which: `cacheWriteInputTokens` or
 * `cacheReadInputTokens`, ~4 characters a token, as Converse reports them. Written apart from Breakwater's own
 * prefix key (src/core/routing/cache-affinity.ts), so a test of affinity does not grade the product by itself.
 */
import { estimateTokens } from './fake-bedrock-wire.js'

export const PROMPT_CACHE_TTL_MS = 5 * 60_000

export interface CacheUsage { readonly cacheReadInputTokens?: number; readonly cacheWriteInputTokens?: number }

const blocks = (x: unknown): unknown[] => (Array.isArray(x) ? x : [])

/** The cached prefix of a Converse body as text, or undefined when it has no cache point. */
function cachedPrefix(body: unknown): string | undefined {
  const b = (body ?? {}) as { toolConfig?: { tools?: unknown }; system?: unknown; messages?: unknown }
  const parts: unknown[] = [...blocks(b.toolConfig?.tools), ...blocks(b.system)]
  for (const m of blocks(b.messages)) parts.push(...blocks((m as { content?: unknown } | null)?.content))
  let last = -1
  parts.forEach((p, i) => { if (typeof p === 'object' && p !== null && 'cachePoint' in p) last = i })
  return last < 0 ? undefined : JSON.stringify(parts.slice(0, last))
}

export class PromptCache {
  readonly #entries = new Map<string, number>()

  /** What `body` does to the cache of `model` in `region` at `now`: a write, a read, or nothing (no cache point). */
  touch(region: string, model: string, body: unknown, now: number): CacheUsage | undefined {
    const prefix = cachedPrefix(body)
    if (prefix === undefined) return undefined
    const key = `${model}@${region}\n${prefix}`
    const seen = this.#entries.get(key)
    this.#entries.set(key, now)
    const tokens = estimateTokens(prefix.length)
    return seen !== undefined && now - seen <= PROMPT_CACHE_TTL_MS ? { cacheReadInputTokens: tokens } : { cacheWriteInputTokens: tokens }
  }

  clear(): void {
    this.#entries.clear()
  }
}
