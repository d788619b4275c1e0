import { Tracer } from '@aws-lambda-powertools/tracer'
import { mergeListeners, tracingListener, type TraceSegment, type TraceSubsegment, type TracerLike } from '../../src/aws/tracing.js'
import { runCascade } from '../../src/core/invoker/cascade.js'
import type { CallFn, CascadeListener } from '../../src/core/invoker/types.js'
import { EAST, WEST, sdkError, setup, type Input } from '../core/invoker/harness.js'

class FakeSubsegment implements TraceSubsegment {
  readonly annotations: Record<string, string | number | boolean> = {}
  readonly children: FakeSubsegment[] = []
  readonly errors: Array<Error | string> = []
  closed = false
  constructor(readonly name: string) {}
  addNewSubsegment(name: string): FakeSubsegment {
    const child = new FakeSubsegment(name)
    this.children.push(child)
    return child
  }
  addAnnotation(key: string, value: string | number | boolean): void { this.annotations[key] = value }
  addError(error: Error | string): void { this.errors.push(error) }
  close(): void { this.closed = true }
}

/** The Tracer methods the listener uses, over an in-memory segment tree: no X-Ray daemon. */
class FakeTracer implements TracerLike {
  readonly root = new FakeSubsegment('facade')
  current: TraceSegment = this.root
  readonly currentDuringCalls: TraceSegment[] = []
  constructor(readonly enabled = true) {}
  isTracingEnabled(): boolean { return this.enabled }
  getSegment(): TraceSegment { return this.current }
  setSegment(segment: TraceSegment): void { this.current = segment }
}

interface Reply { readonly usage: { inputTokens: number; outputTokens: number; totalTokens: number } }

/** us-east-1 fails once (503) and us-west-2 serves: without backoff() there is no retry in place, two attempts. */
function run(listener: CascadeListener, tracer?: FakeTracer) {
  const env = setup({ policies: { backoff: undefined } })
  const call: CallFn<Input, Reply> = async (target, _input, signal) => {
    if (tracer) tracer.currentDuringCalls.push(tracer.current)
    await env.clock.sleep(50, signal)
    if (target.region === 'us-east-1') throw sdkError('ServiceUnavailableException', 503)
    return { usage: { inputTokens: 12, outputTokens: 34, totalTokens: 46 } }
  }
  const base = env.request(async () => 'unused')
  const request = { ...base, validate: undefined, stopReason: undefined, measure: undefined, call, targets: [EAST, WEST], listener }
  return env.clock.run(runCascade<Input, Reply>(request))
}

describe('tracingListener', () => {
  it('gives each attempt a closed subsegment annotated with model_id, region, attempt, outcome and tokens', async () => {
    const tracer = new FakeTracer()
    const result = await run(tracingListener(tracer), tracer)
    expect(result.served.region).toBe('us-west-2')
    const [east, west] = tracer.root.children
    expect(tracer.root.children).toHaveLength(2)
    expect(east!.name).toBe(`### bedrock ${EAST.model}@us-east-1`)
    expect(east!.annotations).toEqual({ model_id: EAST.model, region: 'us-east-1', attempt: 1, route: 'default', outcome: 'unavailable' })
    expect(east!.errors).toHaveLength(1)
    expect(west!.annotations).toEqual({
      model_id: WEST.model, region: 'us-west-2', attempt: 1, route: 'default', outcome: 'success',
      input_tokens: 12, output_tokens: 34, total_tokens: 46,
    })
    expect(west!.errors).toEqual([])
    expect([east!.closed, west!.closed]).toEqual([true, true])
    // Each call ran with its attempt's subsegment current (SDK subsegments nest under it); the parent is back after.
    expect(tracer.currentDuringCalls).toEqual([east, west])
    expect(tracer.current).toBe(tracer.root)
  })

  it('does nothing when tracing is disabled, and never lets a failing tracer fail the call', async () => {
    const disabled = new FakeTracer(false)
    await run(tracingListener(disabled))
    expect(disabled.root.children).toEqual([])

    const broken = new FakeTracer()
    broken.getSegment = () => { throw new Error('no context') }
    await expect(run(tracingListener(broken))).resolves.toMatchObject({ served: { region: 'us-west-2' } })
  })

  it('accepts a real Powertools Tracer (typed), which is a no-op outside Lambda', async () => {
    const tracer = new Tracer({ serviceName: 'test', enabled: false })
    const listener = tracingListener(tracer)
    await expect(run(listener)).resolves.toMatchObject({ served: { region: 'us-west-2' } })
  })
})

describe('mergeListeners', () => {
  it('tells every listener, hands each its own token back (last started, first ended), and skips undefined', async () => {
    const log: string[] = []
    const make = (name: string): CascadeListener => ({
      attempt: (r) => log.push(`${name}:attempt:${r.target.region}:${r.outcome}`),
      attemptStart: (t) => `${name}-${t.region}`,
      attemptEnd: (token, end) => log.push(`${name}:end:${String(token)}:${end.record?.outcome}`),
      served: (s) => log.push(`${name}:served:${s.region}`),
    })
    const logsOnly: CascadeListener = { served: (s) => log.push(`logs:served:${s.region}`) }
    await run(mergeListeners(make('a'), undefined, logsOnly, make('b')))
    expect(log).toEqual([
      'a:attempt:us-east-1:unavailable', 'b:attempt:us-east-1:unavailable',
      'b:end:b-us-east-1:unavailable', 'a:end:a-us-east-1:unavailable',
      'a:attempt:us-west-2:success', 'b:attempt:us-west-2:success',
      'b:end:b-us-west-2:success', 'a:end:a-us-west-2:success',
      'a:served:us-west-2', 'logs:served:us-west-2', 'b:served:us-west-2',
    ])
  })

  it('returns the one listener itself when only one is given, and drops listeners without callbacks', () => {
    const one: CascadeListener = { served: () => undefined }
    expect(mergeListeners(undefined, one)).toBe(one)
    expect(mergeListeners({}, one, {})).toBe(one)
    expect(mergeListeners({}, undefined)).toEqual({})
  })
})
