/** The digest of the reply cache's keys: sha256, from node:crypto loaded on first use (not at the layer's import). */
import type * as NodeCrypto from 'node:crypto'
import type { Digest } from '../core/fallback/cache-key.js'

type Crypto = typeof NodeCrypto
let crypto: Crypto | undefined

export function sha256(): Digest {
  crypto ??= process.getBuiltinModule('node:crypto')
  return crypto.createHash('sha256')
}
