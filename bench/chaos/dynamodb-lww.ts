/**
 * 6. dynamodb-lww: the shared breaker the public serverless circuit-breaker libraries build, as a peer for
 * Breakwater's — modelled on `circuitbreaker-lambda` (npm, gunnargrosch/circuitbreaker-lambda, src/index.ts and
 * src/dynamodb-provider.ts) with its defaults: before every call the state item is read (GetItem, no cache:
 * `cacheTtlMs: 0`); after every call, and on the open → half-open move, the whole state is written back with an
 * unconditional UpdateItem `SET` of every attribute, so of instances writing at once the last one wins and the others'
 * counts are lost. 5 failures open it (counted until `windowDuration`, 60 s, passes without one); after `timeout`
 * (the bench's `halfOpenAfterMs`, as for cockatiel and Breakwater) doubling on each failed half-open up to
 * `maxTimeout` 60 s, it goes half-open and lets every call through; 2 successes close it, 1 failure reopens it.
 * Every error counts (pass/fail), the SDK's own retries stay at its default (3 attempts), and the fallback is the
 * smaller model, as for the other baselines. A store error is logged and the call goes ahead on the state in memory,
 * as the library does. Its DynamoDB client has Breakwater's store settings (2 attempts, 300 ms timeouts): the
 * library's default client has no timeout, so against a hung table it would hold each request to the Lambda timeout,
 * and the comparison is meant to be of the two breakers, not of their clients' timeouts.
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb'
import { baselineCalls, type HttpEvent } from './baseline-calls.js'
import { PRIMARY_MODEL, PRIMARY_REGION } from './scenarios.js'
import type { BreakerTo, ChaosInstance, StrategyEnv } from './types.js'

type CircuitState = 'CLOSED' | 'OPEN' | 'HALF'

interface LwwState {
  circuitState: CircuitState
  failureCount: number
  successCount: number
  nextAttempt: number
  lastFailureTime: number
  consecutiveOpens: number
}

/** circuitbreaker-lambda's DEFAULTS (types.ts). */
export const LWW_DEFAULTS = { failureThreshold: 5, successThreshold: 2, maxTimeoutMs: 60_000, windowDurationMs: 60_000 } as const

const TO: Record<CircuitState, BreakerTo> = { CLOSED: 'closed', OPEN: 'open', HALF: 'half-open' }
const initial = (): LwwState =>
  ({ circuitState: 'CLOSED', failureCount: 0, successCount: 0, nextAttempt: 0, lastFailureTime: 0, consecutiveOpens: 0 })

const NUMBERS = ['failureCount', 'successCount', 'nextAttempt', 'lastFailureTime', 'consecutiveOpens'] as const

function fromItem(item: Record<string, AttributeValue>): LwwState {
  const state = initial()
  const s = item.circuitState?.S
  if (s === 'CLOSED' || s === 'OPEN' || s === 'HALF') state.circuitState = s
  for (const k of NUMBERS) state[k] = Number(item[k]?.N ?? 0)
  return state
}

export function dynamodbLww(env: StrategyEnv, id: number): ChaosInstance {
  const calls = baselineCalls(env)
  const dynamo = { reads: 0, writes: 0, storeErrors: 0 }
  const ddb = new DynamoDBClient({
    ...env.dynamo.clientConfig, maxAttempts: 2,
    requestHandler: { requestTimeout: 300, connectionTimeout: 300, throwOnRequestTimeout: true },
  })
  const target = `${PRIMARY_MODEL}@${PRIMARY_REGION}`
  // Its own item in the scenario's table, apart from Breakwater's (`<model>@<region>`).
  const Key = { pk: { S: `lww#${target}` }, sk: { S: 'state' } }
  const timeoutMs = env.halfOpenAfterMs
  let state = initial()

  const load = async (): Promise<void> => {
    dynamo.reads++
    try {
      const out = await ddb.send(new GetItemCommand({ TableName: env.dynamo.tableName, Key }))
      if (out.Item) state = fromItem(out.Item)
    } catch {
      dynamo.storeErrors++
    }
  }
  const persist = async (): Promise<void> => {
    dynamo.writes++
    const values: Record<string, AttributeValue> = { ':st': { S: state.circuitState }, ':ts': { N: String(Date.now()) } }
    for (const k of NUMBERS) values[`:${k}`] = { N: String(state[k]) }
    try {
      await ddb.send(new UpdateItemCommand({
        TableName: env.dynamo.tableName, Key,
        UpdateExpression: `SET circuitState = :st, stateTimestamp = :ts, ${NUMBERS.map((k) => `${k} = :${k}`).join(', ')}`,
        ExpressionAttributeValues: values,
      }))
    } catch {
      dynamo.storeErrors++
    }
  }
  const move = (to: CircuitState): void => {
    state.circuitState = to
    env.onBreaker({ key: target, to: TO[to], instance: id })
  }
  const open = (): void => {
    state.consecutiveOpens = state.circuitState === 'HALF' ? state.consecutiveOpens + 1 : 0
    state.nextAttempt = Date.now() + Math.min(timeoutMs * 2 ** state.consecutiveOpens, LWW_DEFAULTS.maxTimeoutMs)
    move('OPEN')
  }

  /** The library's check(): false while open; the first call after nextAttempt moves it to half-open (and writes). */
  const check = async (): Promise<boolean> => {
    await load()
    const now = Date.now()
    if (state.circuitState === 'CLOSED' && state.lastFailureTime > 0 && now - state.lastFailureTime > LWW_DEFAULTS.windowDurationMs) {
      state.failureCount = 0
    }
    if (state.circuitState !== 'OPEN') return true
    if (state.nextAttempt > now) return false
    state.successCount = 0
    move('HALF')
    await persist()
    return true
  }
  const onSuccess = async (): Promise<void> => {
    if (state.circuitState === 'HALF' && ++state.successCount >= LWW_DEFAULTS.successThreshold) {
      Object.assign(state, { successCount: 0, failureCount: 0, consecutiveOpens: 0 })
      move('CLOSED')
    }
    await persist()
  }
  const onFailure = async (): Promise<void> => {
    state.failureCount++
    state.lastFailureTime = Date.now()
    if (state.circuitState === 'HALF' || state.failureCount >= LWW_DEFAULTS.failureThreshold) open()
    await persist()
  }

  const handle = async (event: unknown): Promise<unknown> => {
    const began = Date.now()
    if (!(await check())) return calls.fallback(event as HttpEvent, began)
    let reply: unknown
    try {
      reply = await calls.primary(event as HttpEvent, began)
    } catch {
      await onFailure()
      return calls.fallback(event as HttpEvent, began)
    }
    await onSuccess()
    return reply
  }
  return { handle, close: () => { calls.close(); ddb.destroy() }, dynamo }
}
