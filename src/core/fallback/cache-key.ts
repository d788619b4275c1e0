/**
 * The key of the cached-response fallback: a digest of the route, the whole Converse input and the response schema,
 * serialised with sorted keys (so `{ a, b }` and `{ b, a }` are one request) and bytes fed as bytes (images,
 * documents). The digest itself is injected (src/aws gives sha256): core imports no Node module, and a key that
 * serves another user's reply on a collision must come from a cryptographic hash.
 */

/** A running hash (node:crypto's `Hash` fits). */
export interface Digest {
  update(data: string | Uint8Array): unknown
  digest(encoding: 'base64url'): string
}

/**
 * `requestMetadata` is left out: it tags a call for logs (often with a per-request id) and does not change the answer.
 */
export function replyCacheKey(
  digest: Digest,
  route: string,
  input: { readonly requestMetadata?: unknown },
  responseSchema: unknown,
): string {
  const { requestMetadata: _tags, ...asked } = input
  feed(digest, { route, input: asked, responseSchema })
  return digest.digest('base64url')
}

/** A canonical, unambiguous serialisation streamed into the hash: JSON-like, sorted keys, length-prefixed bytes. */
function feed(hash: Digest, value: unknown): void {
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
