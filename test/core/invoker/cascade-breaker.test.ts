/** The engine and the breaker together: every admission settled once, and only the target's own faults counted. */
import { AllTargetsFailedError } from '../../../src/core/errors.js'
import { runCascade } from '../../../src/core/invoker/cascade.js'
import type { CallFn } from '../../../src/core/invoker/types.js'
import { targetKey } from '../../../src/core/targets.js'
import { EAST, WEST, scripted, sdkError, setup, type Input } from './harness.js'

const KEY = targetKey(EAST)
const unavailable = (): Error => sdkError('ServiceUnavailableException', 503)

/** Opens EAST's breaker (consecutiveFailures 3) and waits out its cooldown, so the next admission is a probe. */
async function halfOpen(env: ReturnType<typeof setup>): Promise<void> {
  const { clock, request, policies } = env
  const down = scripted(clock, { 'us-east-1': [unavailable()] })
  for (let i = 0; i < 3; i++) await clock.run(runCascade(request(down.call, { targets: [EAST, WEST] })))
  expect((await policies.breaker!.read(KEY)).state).toBe('open')
  clock.advance(1_000)
}

describe('runCascade with a breaker', () => {
  it('releases a half-open permit when the caller aborts mid-call, so the next probe is not blocked', async () => {
    const env = setup({ breaker: { cooldownMs: 500 } })
    await halfOpen(env)
    const { clock, request, policies } = env
    const caller = new AbortController()
    const call: CallFn<Input, string> = async (_t, _i, signal) => {
      setImmediate(() => caller.abort(new Error('caller gave up')))
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
    }
    await expect(clock.run(runCascade(request(call, { signal: caller.signal, targets: [EAST] })))).rejects.toThrow('caller gave up')
    const record = await policies.breaker!.read(KEY)
    expect(record).toMatchObject({ state: 'half-open', permits: [] })
    expect((await policies.breaker!.admit(KEY)).allowed).toBe(true)
  })

  it('a probe hanging to the attempt timeout (= the lease) still reports back in time and reopens the breaker', async () => {
    const env = setup({ remainingMs: 120_000, breaker: { cooldownMs: 500 } }) // defaults: attemptTimeoutMs 30 000 = permitLeaseMs 30 000
    await halfOpen(env)
    const { clock, request, policies } = env
    const hang = scripted(clock, { 'us-east-1': ['hang'] })
    const result = await clock.run(runCascade(request(hang.call, { targets: [EAST, WEST] })))
    expect(result.attempts[0]).toMatchObject({ outcome: 'timed-out', breakerState: 'half-open' })
    // The slice ends 250 ms before the 30 s lease (simulated clock), so the verdict lands while the permit is live.
    expect(result.attempts[0]!.latencyMs).toBe(29_750)
    expect(await policies.breaker!.read(KEY)).toMatchObject({ state: 'open', opens: 2 })
  })

  it('a timeout the Lambda deadline imposed is not counted against the target', async () => {
    const env = setup({ remainingMs: 2_000, breaker: { consecutiveFailures: 1 } })
    const { clock, request, policies } = env
    const hang = scripted(clock, { 'us-east-1': ['hang'] })
    await expect(clock.run(runCascade(request(hang.call)))).rejects.toBeInstanceOf(AllTargetsFailedError)
    expect(hang.sent).toHaveLength(1)
    expect((await policies.breaker!.read(KEY)).state).toBe('closed')
  })

  it('by default a throttled target never opens its breaker: a 429 is a spent quota, not an outage', async () => {
    const env = setup({ breaker: { consecutiveFailures: 2 } })
    const { clock, request, policies } = env
    const throttled = scripted(clock, { 'us-east-1': [sdkError('ThrottlingException', 429)] })
    for (let i = 0; i < 4; i++) await clock.run(runCascade(request(throttled.call, { targets: [EAST, WEST] })))
    expect((await policies.breaker!.read(KEY)).state).toBe('closed')
  })

  it('with throttled among the failure classes, a throttled target retried in place counts one failure per visit', async () => {
    const env = setup({
      breaker: { consecutiveFailures: 2 },
      policies: { breakerClasses: new Set(['throttled', 'unavailable', 'timed-out']) },
    })
    const { clock, request, policies } = env
    const throttled = scripted(clock, { 'us-east-1': [sdkError('ThrottlingException', 429)] })
    const result = await clock.run(runCascade(request(throttled.call, { targets: [EAST, WEST] })))
    expect(throttled.sent.map((s) => s.target.region)).toEqual(['us-east-1', 'us-east-1', 'us-east-1', 'us-west-2'])
    expect(result.served.region).toBe('us-west-2')
    expect((await policies.breaker!.read(KEY)).state).toBe('closed')
    await clock.run(runCascade(request(throttled.call, { targets: [EAST, WEST] })))
    expect((await policies.breaker!.read(KEY)).state).toBe('open')
  })

  it('Retry-After is the sooner of an open breaker and the server hint', async () => {
    const env = setup({ breaker: { cooldownMs: 600_000, maxCooldownMs: 600_000 } })
    const { clock, request } = env
    const down = scripted(clock, { 'us-east-1': [unavailable()] })
    for (let i = 0; i < 3; i++) await clock.run(runCascade(request(down.call, { targets: [EAST, WEST] })))
    const hinted = Object.assign(sdkError('ThrottlingException', 429), { $response: { headers: { 'retry-after': '2' } } })
    const west = scripted(clock, { 'us-west-2': [hinted] })
    const err = await clock.run(runCascade(request(west.call, { targets: [EAST, WEST] }))).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AllTargetsFailedError)
    expect((err as AllTargetsFailedError).retryAfterSeconds).toBe(2)
  })
})

describe('runCascade when every breaker refuses', () => {
  /** Opens both targets' breakers at once (consecutiveFailures 1, no retries left to try). */
  async function allOpen(env: ReturnType<typeof setup>) {
    const down = scripted(env.clock, { 'us-east-1': [unavailable()], 'us-west-2': [unavailable()] })
    await expect(env.clock.run(runCascade(env.request(down.call, { targets: [EAST, WEST] })))).rejects.toBeInstanceOf(AllTargetsFailedError)
  }

  it('waits for the soonest reopen and rides the probe when it comes within reopenWaitMs', async () => {
    const env = setup({ breaker: { consecutiveFailures: 1, cooldownMs: 1_500 } })
    await allOpen(env)
    const { openUntil } = await env.policies.breaker!.read(KEY)
    const back = scripted(env.clock, {})
    const result = await env.clock.run(runCascade(env.request(back.call, { targets: [EAST, WEST] })))
    expect(result.served.region).toBe('us-east-1')
    expect(result.attempts.map((a) => a.outcome)).toEqual(['skipped-open', 'skipped-open', 'success'])
    // It slept until the cooldown ended (plus under 50 ms of spread), then was the probe that closed the ramp's first stage.
    expect(back.sent[0]!.at).toBeGreaterThanOrEqual(openUntil)
    expect(back.sent[0]!.at - openUntil).toBeLessThan(50)
    expect(result.attempts[2]).toMatchObject({ breakerState: 'half-open' })
  })

  it('answers 503 at once when the reopen is further off than reopenWaitMs, or reopenWaitMs is 0', async () => {
    for (const [cooldownMs, reopenWaitMs] of [[5_000, 2_000], [1_500, 0]] as const) {
      const env = setup({ breaker: { consecutiveFailures: 1, cooldownMs } })
      const backoff = { ...env.policies.backoff!, policy: { ...env.policies.backoff!.policy, reopenWaitMs } }
      await allOpen(env)
      const back = scripted(env.clock, {})
      const startedAt = env.clock.now()
      const failed = env.clock.run(runCascade(env.request(back.call, { targets: [EAST, WEST], policies: { ...env.policies, backoff } })))
      await expect(failed).rejects.toBeInstanceOf(AllTargetsFailedError)
      expect(back.sent).toHaveLength(0)
      expect(env.clock.now()).toBe(startedAt)
    }
  })

  it('does not wait past the Lambda deadline', async () => {
    const env = setup({ remainingMs: 2_000, breaker: { consecutiveFailures: 1, cooldownMs: 1_500 } })
    await allOpen(env)
    const back = scripted(env.clock, {})
    // 1.5 s of wait + the 1 s minimum attempt do not fit in 2 s less the 300 ms reserve.
    await expect(env.clock.run(runCascade(env.request(back.call, { targets: [EAST, WEST] })))).rejects.toBeInstanceOf(AllTargetsFailedError)
    expect(back.sent).toHaveLength(0)
  })
})
