/**
 * 5. Breakwater: the sample chat handler behind the preset, with the DynamoDB breaker shared by the fleet and the
 * demo's cascade (primary model in us-east-1 → same model in us-west-2 → smaller model with fewer tokens).
 * Breaker transitions and probe grants are read back from the Powertools log lines the preset writes; DynamoDB requests are
 * counted by a middleware on the instance's own DynamoDB client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { appendFileSync } from 'node:fs'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { breakwater, type BreakwaterContext, type BreakwaterOptions } from '../../src/index.js'
import { createHandler } from '../../examples/chat/chat-handler.js'
import { httpBody, httpOk, parseChatRequest, toMessages } from '../../examples/chat/chat-request.js'
import { bedrockConfig, JSON_INSTRUCTION } from './baselines.js'
import { ROUTES } from '../../tools/fake-bedrock/scenarios.js'
import { SinkLogger } from '../support/powertools-sinks.js'
import { streamHandler } from './breakwater-stream.js'
import type { BreakerTo, BreakwaterVariant, ChaosInstance, StrategyEnv } from './types.js'

/** `CHAOS_LOG=/tmp/run` keeps each Breakwater instance's Powertools log lines in /tmp/run-<instance>.log. */
const LOG_PREFIX = process.env.CHAOS_LOG

const READS = new Set(['GetItemCommand', 'QueryCommand'])
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand'])

export function breakwaterInstance(env: StrategyEnv, id: number, variant: BreakwaterVariant = {}): ChaosInstance {
  const dynamo = { reads: 0, writes: 0, storeErrors: 0 }
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

  // Probe grants are logged at debug.
  const logger = new SinkLogger((entry, json) => {
    if (LOG_PREFIX) appendFileSync(`${LOG_PREFIX}-${id}.log`, `${json}\n`)
    if (entry.message === 'breakwater breaker transition') {
      env.onBreaker({ key: String(entry.target), to: entry.to as BreakerTo, instance: id })
    }
    if (entry.message === 'breakwater probe granted') env.onProbe({ key: String(entry.target), stage: Number(entry.stage) })
    if (entry.message === 'breakwater breaker store failed; using local state') dynamo.storeErrors++
  }, { serviceName: 'chaos', logLevel: 'DEBUG' })

  const options: BreakwaterOptions = {
    routes: ROUTES,
    client: { clientConfig: bedrockConfig(env) },
    breaker: { tableName: env.dynamo.tableName, dynamodb: { client: ddb }, cooldownMs: env.halfOpenAfterMs, ...variant.breaker },
    // A hung call is given up after 3 s, so the cascade still has time for the next region.
    backoff: { attemptTimeoutMs: 3_000 },
    fallback: { ...variant.fallback },
    logger,
  }
  const handler = env.workload.stream ? streamHandler(options) : env.workload.json ? jsonHandler(options) : createHandler(options)
  return {
    handle: (event, context) => handler(event, context),
    close: () => ddb.destroy(),
    dynamo,
  }
}

/** `{ answer: string }`: what a JSON caller asks for. Declared once, as the `responseSchema` docs ask. */
const ANSWER = { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } } } as const

/**
 * The sample handler's HTTP path, asking for JSON the Breakwater way: `responseSchema` (a reply that is not valid JSON
 * is re-asked with the reason, then the next target is tried). Same request and reply shapes as the sample handler.
 */
function jsonHandler(options: BreakwaterOptions) {
  return middy<unknown, unknown, Error, Context>().use(breakwater(options)).handler(async (event, context, { signal }) => {
    const { bedrock } = context as BreakwaterContext
    const request = parseChatRequest(httpBody(event as { body?: string | null }))
    const reply = await bedrock.converse<{ answer: string }>({
      system: [{ text: JSON_INSTRUCTION }], messages: toMessages(request), inferenceConfig: { maxTokens: 1024 },
    }, { signal, responseSchema: ANSWER })
    return httpOk({ reply: reply.json.answer, model: reply.served.model, region: reply.served.region, degraded: reply.served.degraded })
  })
}
