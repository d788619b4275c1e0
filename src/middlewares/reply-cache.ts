/**
 * The glue of the cached-response fallback (`fallback({ cache })`): what is stored, under which key, and the reply
 * served from it. The LRU itself is core's ReplyCache; hashing lives here because core imports no Node modules.
 */
import type { Hash } from 'node:crypto'
import type { ConverseCommandOutput } from '@aws-sdk/client-bedrock-runtime'
import type { ConverseInput } from '../aws/bedrock-calls.js'
import { ReplyCache } from '../core/fallback/reply-cache.js'
import type { Served } from '../core/invoker/types.js'
import type { JsonSchema } from '../core/output/json-schema.js'

/** A good Converse reply as kept in the cache (a private copy: the handler may mutate the reply it was given). */
export interface CachedConverse {
  readonly output: ConverseCommandOutput
  readonly text: string
  /** The parsed structured output, when the call had a `responseSchema`. */
  readonly json?: unknown
  readonly served: Served
}

export type ConverseCache = ReplyCache<CachedConverse>

/**
 * Only answers served as asked are worth replaying: the first target's, or another target's (same prompt, same
 * token limit). A shortened history or a smaller `maxTokens` made a lesser answer, not the last good one.
 */
export const isCacheable = (served: Served): boolean => served.degradations.every((d) => d === 'fallback-target')

/**
 * The key of a request: sha256 of the route, the whole Converse input and the response schema, serialised with
 * sorted keys (so `{ a, b }` and `{ b, a }` are one request) and bytes hashed as bytes (images, documents).
 * `requestMetadata` is left out: it tags a call for logs (often with a per-request id) and does not change the answer.
 */
export function replyCacheKey(route: string, input: ConverseInput, responseSchema: JsonSchema | undefined): string {
  const { requestMetadata: _tags, ...asked } = input
  // node:crypto fetched on use, not imported: only a function with `fallback({ cache })` hashes anything.
  const hash = process.getBuiltinModule('node:crypto').createHash('sha256')
  feed(hash, { route, input: asked, responseSchema })
  return hash.digest('base64url')
}

/** A canonical, unambiguous serialisation streamed into the hash: JSON-like, sorted keys, length-prefixed bytes. */
function feed(hash: Hash, value: unknown): void {
  if (value instanceof Uint8Array) {
    hash.update(`b${value.byteLength}:`)
    hash.update(value)
  } else if (Array.isArray(value)) {
    hash.update('[')
    value.forEach((item, i) => { if (i > 0) hash.update(','); feed(hash, item) })
    hash.update(']')
  } else if (value instanceof Date) {
    hash.update(`d${value.toISOString()}`)
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    hash.update('{')
    Object.keys(record).filter((k) => record[k] !== undefined).sort().forEach((k, i) => {
      hash.update(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`)
      feed(hash, record[k])
    })
    hash.update('}')
  } else {
    hash.update(typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? 'null'))
  }
}
