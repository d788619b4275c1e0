/**
 * fallback(): what each failure leads to beyond a retry: the next target of the cascade (other region, smaller
 * model, fewer tokens), a shortened history on context overflow, fewer max tokens after a timeout, a re-ask after
 * malformed output. Without it, only the route's first target is used.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import { resolveFallbackPolicy, type FallbackPolicyOptions } from '../core/fallback/policy.js'
import { ReplyCache } from '../core/fallback/reply-cache.js'
import { parseOptions } from '../core/config/index.js'
import { sha256 } from '../aws/digest.js'
import type { FallbackPart } from '../core/engine/engine.js'
import { FALLBACK_OPTIONS } from './schema/fallback.js'
import { joinInvocation } from './stack.js'

const SOURCE = 'breakwater/fallback'

/**
 * Fallback options (all optional). `cache` turns on the cached-response fallback: when every target fails, the last
 * good reply to the same request (same route, input and response schema) is served with `served.degraded: 'cached'`.
 * @example fallback({ maxTruncations: 2, timeoutMaxTokensFactor: 0.5 })
 * @example fallback({ cache: { maxEntries: 500, ttlMs: 3_600_000 } })
 */
export type FallbackOptions = FallbackPolicyOptions

export function fallback(options?: FallbackOptions): MiddlewareObj {
  const part = fallbackPart(options)
  const breakwaterFallbackBefore = (request: Request): void => joinInvocation(request, 'fallback', part)
  return { name: 'breakwater-fallback', before: breakwaterFallbackBefore }
}

/** The fallback's immutable part of an engine. One reply cache per container, like the Bedrock clients. */
export function fallbackPart(options?: FallbackOptions): FallbackPart {
  const policy = resolveFallbackPolicy(parseOptions(FALLBACK_OPTIONS, options, SOURCE), SOURCE)
  const cache = policy.cache ? { replies: new ReplyCache<unknown>(policy.cache), digest: sha256 } : undefined
  return Object.freeze({ policy, cache })
}
