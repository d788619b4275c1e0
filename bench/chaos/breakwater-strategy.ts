/**
 * 4. Breakwater: the sample chat handler behind the preset, with the DynamoDB breaker shared by the fleet and the
 * demo's cascade (primary model in us-east-1 → same model in us-west-2 → smaller model with fewer tokens).
 * Breaker transitions are read back from the Powertools log line the preset writes for each one; DynamoDB requests are
 * counted by a middleware on the instance's own DynamoDB client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { fakeClientConfig } from '../../test/support/bedrock-client.js'
import { createHandler } from '../sample/chat-handler.js'
import { ROUTES } from '../scenarios.js'
import { SinkLogger } from '../support/powertools-sinks.js'
import type { BreakerTo, ChaosInstance, StrategyEnv } from './types.js'

const READS = new Set(['GetItemCommand', 'QueryCommand'])
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand'])

export function breakwaterInstance(env: StrategyEnv, id: number): ChaosInstance {
  const dynamo = { reads: 0, writes: 0 }
  // As the store builds its own default client (2 attempts, 300 ms timeouts), plus a counter.
  const ddb = new DynamoDBClient({
    ...env.dynamo.clientConfig, maxAttempts: 2,
    requestHandler: { requestTimeout: 300, connectionTimeout: 300, throwOnRequestTimeout: true },
  })
  ddb.middlewareStack.add((next, context) => (args) => {
    if (READS.has(context.commandName ?? '')) dynamo.reads++
    if (WRITES.has(context.commandName ?? '')) dynamo.writes++
    return next(args)
  }, { step: 'initialize', name: 'chaosDynamoCounter' })

  const logger = new SinkLogger((entry) => {
    if (entry.message !== 'breakwater breaker transition') return
    env.onBreaker({ key: String(entry.target), to: entry.to as BreakerTo, instance: id })
  }, { serviceName: 'chaos', logLevel: 'INFO' })

  const handler = createHandler({
    routes: ROUTES,
    client: { clientConfig: fakeClientConfig(env.server) },
    breaker: { tableName: env.dynamo.tableName, dynamodb: { client: ddb }, cooldownMs: env.halfOpenAfterMs },
    // A hung call is given up after 3 s, so the cascade still has time for the next region.
    backoff: { attemptTimeoutMs: 3_000 },
    logger,
  })
  return {
    handle: (event, context) => handler(event, context),
    close: () => ddb.destroy(),
    dynamo,
  }
}
