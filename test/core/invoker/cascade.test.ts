import { jest } from '@jest/globals'
import { RetryBudget } from '../../../src/core/backoff/retry-budget.js'
import { DEFAULT_BACKOFF_POLICY, DEFAULT_RETRY_BUDGET } from '../../../src/core/backoff/types.js'
import { AllTargetsFailedError, CallerFaultError, ContextOverflowError, MalformedOutputError } from '../../../src/core/errors.js'
import { DEFAULT_FALLBACK_POLICY } from '../../../src/core/fallback/policy.js'
import { runCascade } from '../../../src/core/invoker/cascade.js'
import type { CallFn } from '../../../src/core/invoker/types.js'
import type { Target } from '../../../src/core/targets.js'
import { SimClock } from '../../support/sim-clock.js'
import { EAST, SMALL, WEST, scripted, sdkError, setup, type Input } from './harness.js'

describe('runCascade', () => {
  it('serves from the first target when it is healthy', async () => {
    const { clock, request } = setup()
    const { call, sent } = scripted(clock, {})
    const result = await clock.run(runCascade(request(call)))
    expect(result.output).toBe('ok from us-east-1')
    expect(result.served).toMatchObject({ model: EAST.model, region: 'us-east-1', attempts: 1, degraded: false })
    expect(sent).toHaveLength(1)
  })

  it('retries a first 503 once at once, then moves to the other region, without waiting', async () => {
    const { clock, request } = setup()
    const { call, sent } = scripted(clock, { 'us-east-1': [sdkError('ServiceUnavailableException', 503)] })
    const result = await clock.run(runCascade(request(call)))
    expect(result.served).toMatchObject({ region: 'us-west-2', attempts: 3, degraded: 'fallback-target' })
    expect(sent.map((s) => s.target.region)).toEqual(['us-east-1', 'us-east-1', 'us-west-2'])
    expect(sent[1]!.at - sent[0]!.at).toBe(50) // the 50 ms call, no backoff wait
    expect(sent[2]!.at - sent[1]!.at).toBe(50)
  })

  it('a lone 503 is retried at once on the same target, which usually serves', async () => {
    const { clock, request } = setup()
    const { call, sent } = scripted(clock, { 'us-east-1': [sdkError('ServiceUnavailableException', 503), 'ok'] })
    const result = await clock.run(runCascade(request(call)))
    expect(result.served).toMatchObject({ region: 'us-east-1', attempts: 2, degraded: false })
    expect(sent.map((s) => s.target.region)).toEqual(['us-east-1', 'us-east-1'])
  })

  it('no immediate retry without budget, or on a target whose breaker is not closed', async () => {
    const { clock, request, policies } = setup({ breaker: { consecutiveFailures: 2 } })
    const down = scripted(clock, { 'us-east-1': [sdkError('ServiceUnavailableException', 503)] })
    await clock.run(runCascade(request(down.call, { targets: [EAST, WEST] }))) // fail, retry, fail: opens
    clock.advance(60_000)
    const probe = scripted(clock, { 'us-east-1': [sdkError('ServiceUnavailableException', 503)] })
    await clock.run(runCascade(request(probe.call, { targets: [EAST, WEST] })))
    // The half-open probe failed: no second try on a target that is being probed, straight to the next.
    expect(probe.sent.map((s) => s.target.region)).toEqual(['us-east-1', 'us-west-2'])
    const empty = new RetryBudget({ ...DEFAULT_RETRY_BUDGET, minRetriesPerSecond: 0, ratio: 0 }, clock)
    const spent = { ...policies, backoff: { ...policies.backoff!, budget: empty } }
    const noBudget = scripted(clock, { 'us-west-2': [sdkError('ServiceUnavailableException', 503)] })
    const result = await clock.run(runCascade(request(noBudget.call, { targets: [WEST, SMALL], policies: spent })))
    expect(noBudget.sent.map((s) => s.target.region)).toEqual(['us-west-2', 'us-east-1'])
    expect(result.attempts.map((a) => a.outcome)).toEqual(['unavailable', 'skipped-budget', 'success'])
  })

  it('backs off with jitter on throttling and retries the same target', async () => {
    const { clock, request } = setup()
    const throttle = sdkError('ThrottlingException', 429)
    const { call } = scripted(clock, { 'us-east-1': [throttle, throttle, 'ok'] })
    const result = await clock.run(runCascade(request(call)))
    expect(result.served).toMatchObject({ region: 'us-east-1', attempts: 3, degraded: false })
    // random() = 0.5: waits are half of throttleBase·2^n = 250, 500
    expect(result.attempts.map((a) => a.waitMs)).toEqual([0, 250, 500])
  })

  it('after maxAttempts throttles moves to the next target', async () => {
    const { clock, request } = setup()
    const { call, sent } = scripted(clock, { 'us-east-1': [sdkError('ThrottlingException', 429)] })
    const result = await clock.run(runCascade(request(call)))
    expect(sent.map((s) => s.target.region)).toEqual(['us-east-1', 'us-east-1', 'us-east-1', 'us-west-2'])
    expect(result.served.region).toBe('us-west-2')
  })

  it('does not retry or trip on a caller fault, and says 403 when every region denies access', async () => {
    const { clock, request, policies } = setup()
    const denied = sdkError('AccessDeniedException', 403)
    const { call, sent } = scripted(clock, { 'us-east-1': [denied], 'us-west-2': [denied] })
    const err = await clock.run(runCascade(request(call))).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CallerFaultError)
    expect((err as CallerFaultError).statusCode).toBe(403)
    expect((err as CallerFaultError).message).toBe('This service is not allowed to use the model. (AccessDeniedException)')
    expect(sent.map((s) => s.target.model + '@' + s.target.region))
      .toEqual([`${EAST.model}@us-east-1`, `${WEST.model}@us-west-2`, `${SMALL.model}@us-east-1`])
    expect((await policies.breaker!.read('anthropic.claude-3-haiku@us-east-1')).state).toBe('closed')
  })

  it('halves the history on context overflow and retries the same target', async () => {
    const { clock, request } = setup()
    const overflow = sdkError('ValidationException', 400, 'Input is too long for requested model.')
    const { call, sent } = scripted(clock, { 'us-east-1': [overflow, 'ok'] })
    const messages = Array.from({ length: 8 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: [{ text: `turn ${i}` }] }))
    const result = await clock.run(runCascade(request(call, { input: { messages } })))
    expect(sent.map((s) => s.input.messages!.length)).toEqual([8, 4])
    expect(sent[1]!.input.messages![0]).toEqual({ role: 'user', content: [{ text: 'turn 4' }] })
    expect(result.served).toMatchObject({ region: 'us-east-1', degraded: 'truncated-context' })
  })

  it('gives a 413-shaped ContextOverflowError when a single message is too long', async () => {
    const { clock, request } = setup()
    const { call } = scripted(clock, { 'us-east-1': [sdkError('ValidationException', 400, 'Input is too long for requested model.')] })
    await expect(clock.run(runCascade(request(call)))).rejects.toBeInstanceOf(ContextOverflowError)
  })

  it('aborts a hanging call at the attempt timeout and asks the next target for fewer tokens', async () => {
    const { clock, request, policies } = setup({ policies: {} })
    const backoffPolicy = { ...DEFAULT_BACKOFF_POLICY, attemptTimeoutMs: 2_000 }
    const { call, sent } = scripted(clock, { 'us-east-1': ['hang'] })
    const withTimeout = { ...policies, backoff: { ...policies.backoff!, policy: backoffPolicy } }
    const result = await clock.run(runCascade(request(call, { policies: withTimeout })))
    expect(result.attempts[0]).toMatchObject({ outcome: 'timed-out', errorName: 'AttemptTimeoutError', latencyMs: 2_000 })
    expect(sent[1]!.input.inferenceConfig?.maxTokens).toBe(DEFAULT_FALLBACK_POLICY.timeoutMaxTokens)
    expect(result.served.degradations).toEqual(['reduced-max-tokens', 'fallback-target'])
  })

  it('never starts a wait or attempt past the deadline, and fails with a Retry-After', async () => {
    // 1.5 s left, 300 ms reserve, 1 s minimum attempt: after one 50 ms throttle there is no room for a wait + attempt.
    const { clock, request } = setup({ remainingMs: 1_500 })
    const throttle = sdkError('ThrottlingException', 429)
    const { call, sent } = scripted(clock, { 'us-east-1': [throttle], 'us-west-2': [throttle] })
    const start = clock.now()
    const err = await clock.run(runCascade(request(call))).catch((e: unknown) => e) as AllTargetsFailedError
    expect(err).toBeInstanceOf(AllTargetsFailedError)
    // Each target gets one call (no wait fits), and every call starts with at least minAttemptMs before the reserve.
    expect(sent).toHaveLength(3)
    for (const s of sent) expect(s.at - start).toBeLessThanOrEqual(1_500 - 300 - 1_000)
    expect(clock.sleeps.filter((ms) => ms === 250)).toEqual([]) // the 250 ms backoff wait never started
    expect(err.attempts.map((a) => a.outcome))
      .toEqual(['throttled', 'skipped-deadline', 'throttled', 'skipped-deadline', 'throttled', 'skipped-deadline'])
    expect(clock.now() - start).toBeLessThanOrEqual(1_500 - 300)
  })

  it('skips an open target with no call, and reports when it reopens', async () => {
    const { clock, request } = setup()
    const down = { 'us-east-1': [sdkError('ServiceUnavailableException', 503)] }
    const first = scripted(clock, down)
    for (let i = 0; i < 3; i++) await clock.run(runCascade(request(first.call)))
    const second = scripted(clock, down)
    const result = await clock.run(runCascade(request(second.call)))
    expect(second.sent.map((s) => s.target.region)).toEqual(['us-west-2'])
    expect(result.attempts[0]).toMatchObject({ outcome: 'skipped-open' })
  })

  it('when everything is down fails with AllTargetsFailedError carrying every attempt', async () => {
    const { clock, request } = setup()
    const e = sdkError('ServiceUnavailableException', 503)
    const { call } = scripted(clock, { 'us-east-1': [e], 'us-west-2': [e] })
    const err = await clock.run(runCascade(request(call))).catch((x: unknown) => x) as AllTargetsFailedError
    expect(err).toBeInstanceOf(AllTargetsFailedError)
    expect(err.lastClass).toBe('unavailable')
    expect(err.cause).toBe(e)
    // east and west twice each (one immediate retry); the last target (us-east-1 small model) up to maxAttempts
    expect(err.attempts.map((a) => a.target.region))
      .toEqual(['us-east-1', 'us-east-1', 'us-west-2', 'us-west-2', 'us-east-1', 'us-east-1', 'us-east-1'])
    expect(err.retryAfterSeconds).toBeUndefined() // nothing known: the responder uses its configured default
  })

  it('without fallback uses only the first target; without backoff makes one attempt', async () => {
    const { clock, request } = setup({ full: false })
    const { call, sent } = scripted(clock, { 'us-east-1': [sdkError('ThrottlingException', 429)] })
    await expect(clock.run(runCascade(request(call)))).rejects.toBeInstanceOf(AllTargetsFailedError)
    expect(sent).toHaveLength(1)
  })

  it('re-asks after malformed output, then succeeds', async () => {
    const { clock, request } = setup()
    let n = 0
    const validate = (): void => { if (n++ === 0) throw new MalformedOutputError('not JSON', 'oops') }
    const reask = jest.fn((i: Input) => ({ ...i, reasked: true }))
    const { call, sent } = scripted(clock, {})
    const result = await clock.run(runCascade(request(call, { validate, adapter: { reask } })))
    expect(sent).toHaveLength(2)
    expect(reask).toHaveBeenCalledTimes(1)
    expect(result.served.region).toBe('us-east-1')
  })

  it('propagates errors that are not about the call (a bug) unchanged', async () => {
    const { clock, request } = setup()
    const bug = new TypeError('cannot read x of undefined')
    const call: CallFn<Input, string> = async () => { throw bug }
    await expect(clock.run(runCascade(request(call)))).rejects.toBe(bug)
  })

  it('stops retrying when the retry budget is spent', async () => {
    const clock0 = new SimClock()
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0.1, windowMs: 10_000 }, clock0)
    const { clock, request, policies } = setup()
    const { call } = scripted(clock, { 'us-east-1': [sdkError('ThrottlingException', 429)] })
    const withBudget = { ...policies, backoff: { policy: DEFAULT_BACKOFF_POLICY, budget } }
    const result = await clock.run(runCascade(request(call, { policies: withBudget })))
    expect(result.attempts.map((a) => a.outcome)).toEqual(['throttled', 'throttled', 'skipped-budget', 'success'])
  })
})

describe('runCascade, context overflow across models', () => {
  it('tries a different model when the prompt cannot be shortened, skipping other regions of the same model', async () => {
    const { clock, request } = setup()
    const overflow = sdkError('ValidationException', 400, 'Input is too long for requested model.')
    const calls: Target[] = []
    const call: CallFn<Input, string> = async (target) => {
      calls.push(target)
      if (target.model === EAST.model) throw overflow
      return 'ok'
    }
    const result = await clock.run(runCascade(request(call)))
    expect(calls.map((t) => `${t.model}@${t.region}`)).toEqual([`${EAST.model}@us-east-1`, `${SMALL.model}@us-east-1`])
    expect(result.served.model).toBe(SMALL.model)
  })
})
