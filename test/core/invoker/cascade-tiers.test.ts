/** A tier ladder through the engine: refusals walk on without the breaker, downgrades are told, tiers keep apart. */
import { AllTargetsFailedError, CallerFaultError } from '../../../src/core/errors.js'
import { runCascade } from '../../../src/core/invoker/cascade.js'
import type { CallFn, CascadeRequest, CascadeResult } from '../../../src/core/invoker/types.js'
import { targetKey, type Target } from '../../../src/core/targets.js'
import { isDowngrade, tierServed } from '../../../src/core/invoker/tiers.js'
import { sdkError, setup, type Input } from './harness.js'

const MODEL = 'amazon.nova-pro-v1:0'
const PRIORITY: Target = { model: MODEL, region: 'us-east-1', serviceTier: 'priority' }
const DEFAULT: Target = { model: MODEL, region: 'us-east-1' }
const FLEX: Target = { model: MODEL, region: 'us-east-1', serviceTier: 'flex' }
const REFUSED = (): Error => sdkError('ValidationException', 400, "The provided model doesn't support the requested service tier.")

type Reply = { readonly text: string; readonly serviceTier?: { type: string }; readonly performanceConfig?: { latency: string } }
type Step = Error | Reply

/** A call answering per target key from a script (last entry repeats). */
function byKey(script: Record<string, Step[]>) {
  const sent: string[] = []
  const call: CallFn<Input, Reply> = async (target) => {
    const key = targetKey(target)
    sent.push(key)
    const list = script[key] ?? [{ text: 'ok' }]
    const step = (list.length > 1 ? list.shift() : list[0]) as Step
    if (step instanceof Error) throw step
    return step
  }
  return { call, sent }
}

/** The harness's request (every policy in force) over `targets`, answered by `call`. */
const walk = (env: ReturnType<typeof setup>, call: CallFn<Input, Reply>, targets: Target[]): Promise<CascadeResult<Reply>> =>
  runCascade({ ...env.request(call as unknown as CallFn<Input, string>), targets } as unknown as CascadeRequest<Input, Reply>)

describe('runCascade over a tier ladder', () => {
  it('a tier the model does not offer walks on to the next step, and its breaker hears nothing', async () => {
    const env = setup({ breaker: { consecutiveFailures: 1 } })
    const { call, sent } = byKey({ [targetKey(PRIORITY)]: [REFUSED()] })
    const result = await walk(env, call, [PRIORITY, DEFAULT, FLEX])
    expect(sent).toEqual([targetKey(PRIORITY), targetKey(DEFAULT)])
    expect(result.served.degraded).toBe('fallback-target')
    expect((await env.policies.breaker!.read(targetKey(PRIORITY))).state).toBe('closed')
    expect((await env.policies.breaker!.read(targetKey(PRIORITY))).version).toBe(0)
  })

  it("the ladder's last step refusing its tier: the others' failures decide (503), not a 400 for the whole request", async () => {
    const env = setup()
    const { call } = byKey({
      [targetKey(PRIORITY)]: [REFUSED()],
      [targetKey(DEFAULT)]: [sdkError('ServiceUnavailableException', 503)],
      [targetKey(FLEX)]: [REFUSED()],
    })
    await expect(walk(env, call, [PRIORITY, DEFAULT, FLEX])).rejects.toBeInstanceOf(AllTargetsFailedError)
  })

  it('every step refusing: the caller fault it is, with a message of ours', async () => {
    const env = setup()
    const { call, sent } = byKey({ [targetKey(PRIORITY)]: [REFUSED()], [targetKey(FLEX)]: [REFUSED()] })
    const error = await walk(env, call, [PRIORITY, FLEX]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CallerFaultError)
    expect((error as CallerFaultError).message).toContain('service tier or latency')
    expect(sent).toHaveLength(2)
  })

  it('a failing priority tier opens only its own breaker, not the same model and region at the default tier', async () => {
    const env = setup({ breaker: { consecutiveFailures: 1 } })
    const { call } = byKey({ [targetKey(PRIORITY)]: [sdkError('ServiceUnavailableException', 503)] })
    await walk(env, call, [PRIORITY, DEFAULT])
    expect((await env.policies.breaker!.read(targetKey(PRIORITY))).state).toBe('open')
    expect((await env.policies.breaker!.read(targetKey(DEFAULT))).state).toBe('closed')
  })

  it('a reply served below the tier asked is degraded downgraded-tier, and says which tier served', async () => {
    const env = setup()
    const { call } = byKey({ [targetKey(PRIORITY)]: [{ text: 'ok', serviceTier: { type: 'default' } }] })
    const { served } = await walk(env, call, [PRIORITY, DEFAULT])
    expect(served).toMatchObject({ degraded: 'downgraded-tier', degradations: ['downgraded-tier'], serviceTier: 'default' })
  })

  it('served as asked: not degraded, the tier told', async () => {
    const env = setup()
    const { call } = byKey({ [targetKey(PRIORITY)]: [{ text: 'ok', serviceTier: { type: 'priority' } }] })
    const { served } = await walk(env, call, [PRIORITY])
    expect(served).toMatchObject({ degraded: false, serviceTier: 'priority' })
  })
})

describe('tierServed and isDowngrade', () => {
  const OPTIMIZED: Target = { model: MODEL, region: 'us-east-2', latency: 'optimized' }
  it('reads Converse and InvokeModel echoes, only of what the target asked', () => {
    expect(tierServed(PRIORITY, { serviceTier: { type: 'default' } })).toEqual({ serviceTier: 'default' })
    expect(tierServed(PRIORITY, { serviceTier: 'flex', performanceConfigLatency: 'optimized' })).toEqual({ serviceTier: 'flex' })
    expect(tierServed(OPTIMIZED, { performanceConfig: { latency: 'standard' } })).toEqual({ latency: 'standard' })
    expect(tierServed(DEFAULT, { serviceTier: { type: 'flex' } })).toBeUndefined()
    expect(tierServed(PRIORITY, {})).toBeUndefined()
    expect(tierServed(PRIORITY, { serviceTier: { type: 'turbo' } })).toBeUndefined()
  })

  it.each([
    ['priority', 'default', true], ['default', 'flex', true], ['reserved', 'default', true], ['flex', 'default', false],
    ['priority', 'priority', false], ['reserved', 'priority', false],
  ] as const)('asked %s, served %s: downgrade %s', (asked, served, expected) => {
    expect(isDowngrade({ ...DEFAULT, serviceTier: asked }, { serviceTier: served })).toBe(expected)
  })

  it('optimized latency served standard is a downgrade', () => {
    expect(isDowngrade(OPTIMIZED, { latency: 'standard' })).toBe(true)
    expect(isDowngrade(OPTIMIZED, { latency: 'optimized' })).toBe(false)
  })
})
