/** A quota store built on first use: the DynamoDB client is not loaded at init (as LazyBreakerStore). */
import { lazily } from '../lazy.js'
import type { QuotaStore } from './quota.js'

export function lazyQuotaStore(load: () => Promise<QuotaStore>): QuotaStore {
  const get = lazily(load)
  return {
    take: async (key, minute, want, limit) => (await get()).take(key, minute, want, limit),
    give: async (key, minute, amount) => (await get()).give(key, minute, amount),
  }
}
