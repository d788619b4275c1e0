/**
 * `breakwater/dynamodb`: the DynamoDB breaker store as its own entry, the way Powertools ships its persistence
 * layers (`@aws-lambda-powertools/idempotency/dynamodb`). Build it and pass it as `circuitBreaker({ store })` (or
 * `breakwater({ breaker: { store } })`); `breaker: { tableName }` remains the shorthand that builds one lazily.
 *
 * @example
 * import { DynamoDBBreakerStore } from 'breakwater/dynamodb'
 * const store = new DynamoDBBreakerStore({ tableName: process.env.BREAKER_TABLE!, refreshMs: 5_000 })
 * middy(handler).use(breakwater({ routes, breaker: { store } }))
 */
export { DynamoDBBreakerStore, type StoreUsage } from './store.js'
export type { DynamoDBBreakerStoreOptions } from './options.js'
