/**
 * One simulated Lambda instance, alone in its worker thread: its own strategy instance (clients, breaker caches,
 * budgets, module state), its own clock (`clockSkewMs` shifts `Date.now()` the way a skewed host clock would; timers
 * are unaffected), and a context per invocation whose `getRemainingTimeInMillis()` counts down from the Lambda timeout.
 * The parent (`instance-thread.ts`) dispatches one invocation at a time and terminates the thread on a timeout.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { Context } from 'aws-lambda'
import { lambdaContext } from '../../tools/lambda-context.js'
import { cockatiel, naive, sdkAdaptive, textbook } from './baselines.js'
import { breakwaterInstance } from './breakwater-strategy.js'
import { dynamodbLww } from './dynamodb-lww.js'
import { PRIMARY_MODEL, PRIMARY_REGION } from './scenarios.js'
import { isComplete } from './stream-reply.js'
import type {
  BreakerTransition, ChaosInstance, DynamoCounts, FleetStrategy, InstanceConfig, InvocationResult, Outcome, ProbeGrant, StrategyEnv,
} from './types.js'

export interface WorkerData {
  readonly strategy: FleetStrategy
  readonly id: number
  readonly config: InstanceConfig
  /** This instance's clock offset from true time, ms. */
  readonly clockSkewMs: number
}

export type ToWorker =
  | { readonly type: 'invoke'; readonly seq: number; readonly event: unknown; readonly timeoutMs: number; readonly requestId: string }
  | { readonly type: 'close' }

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly seq: number; readonly result: InvocationResult; readonly dynamo: DynamoCounts }
  | { readonly type: 'closed'; readonly dynamo: DynamoCounts }
  | ({ readonly type: 'breaker'; readonly at: number } & Omit<BreakerTransition, 'atMs'>)
  | ({ readonly type: 'probe'; readonly at: number } & Omit<ProbeGrant, 'atMs'>)

const FACTORIES: Record<FleetStrategy, (env: StrategyEnv, id: number) => ChaosInstance> = {
  naive, textbook, cockatiel, 'sdk-adaptive': sdkAdaptive, 'dynamodb-lww': dynamodbLww, breakwater: breakwaterInstance,
  'breakwater-b': (env, id) => breakwaterInstance(env, id, env.variant),
}

/** 200 from the primary target: ok; 200 from anything else: degraded; any other reply: graceful. */
export function classify(result: unknown): Outcome {
  const r = result as { statusCode?: number; body?: string } | undefined
  if (r?.statusCode !== 200) return 'graceful'
  const body = JSON.parse(r.body ?? '{}') as { model?: string; region?: string; degraded?: unknown }
  return body.degraded || body.model !== PRIMARY_MODEL || body.region !== PRIMARY_REGION ? 'degraded' : 'ok'
}

/**
 * A streamed success also reports its time to first token, and whether its answer is truncated: it lacks the end of
 * the fake's reply, so the stream that produced it never reached `messageStop`.
 */
function streamed(outcome: Outcome, result: unknown): InvocationResult {
  if (outcome !== 'ok' && outcome !== 'degraded') return { outcome }
  const body = JSON.parse((result as { body: string }).body) as { reply?: string; ttftMs?: number }
  const truncated = !isComplete(body.reply ?? '')
  return body.ttftMs === undefined ? { outcome, truncated } : { outcome, truncated, ttftMs: body.ttftMs }
}

async function invoke(instance: ChaosInstance, event: unknown, context: Context, stream: boolean): Promise<InvocationResult> {
  try {
    const result = await instance.handle(event, context)
    const outcome = classify(result)
    return stream ? streamed(outcome, result) : { outcome }
  } catch {
    return { outcome: 'raw-error' }
  }
}

function serve(port: NonNullable<typeof parentPort>, data: WorkerData): void {
  // Events are stamped with true time where they happen (not when the parent reads them), to line up with the fake's log.
  const trueNow = Date.now.bind(Date)
  if (data.clockSkewMs !== 0) Date.now = () => trueNow() + data.clockSkewMs
  const post = (message: FromWorker): void => port.postMessage(message)
  const instance = FACTORIES[data.strategy]({
    ...data.config,
    onBreaker: (t) => post({ type: 'breaker', at: trueNow(), ...t }),
    onProbe: (p) => post({ type: 'probe', at: trueNow(), ...p }),
  }, data.id)
  const counts = (): DynamoCounts => ({ ...(instance.dynamo ?? { reads: 0, writes: 0, storeErrors: 0 }) })
  port.on('message', (message: ToWorker) => {
    if (message.type === 'close') {
      instance.close()
      post({ type: 'closed', dynamo: counts() })
      return
    }
    const context = lambdaContext({ timeoutMs: message.timeoutMs, requestId: message.requestId })
    void invoke(instance, message.event, context, data.config.workload.stream ?? false)
      .then((result) => post({ type: 'done', seq: message.seq, result, dynamo: counts() }))
  })
  post({ type: 'ready' })
}

if (parentPort) serve(parentPort, workerData as WorkerData)
