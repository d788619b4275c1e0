/**
 * fallback(): what each failure leads to beyond a retry: the next target of the cascade (other region, smaller
 * model, fewer tokens), a shortened history on context overflow, fewer max tokens after a timeout, a re-ask after
 * malformed output. Without it, only the route's first target is used.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import { resolveFallbackPolicy, type FallbackPolicy } from '../core/fallback/policy.js'
import { optionsObject } from './options.js'
import { enterRole } from './state.js'

const SOURCE = 'breakwater/fallback'

/**
 * Fallback options (all optional).
 * @example fallback({ maxTruncations: 2, timeoutMaxTokensFactor: 0.5 })
 */
export type FallbackOptions = Partial<FallbackPolicy>

export function fallback(options?: FallbackOptions): MiddlewareObj {
  const policy = resolveFallbackPolicy(optionsObject(SOURCE, options), SOURCE)
  const breakwaterFallbackBefore = (request: Request): void => {
    enterRole(request, 'fallback').fallback = policy
  }
  return { name: 'breakwater-fallback', before: breakwaterFallbackBefore }
}
