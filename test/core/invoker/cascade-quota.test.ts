/** A target's declared quota in the cascade: a call the minute has no room for is skipped, not sent, and spills on. */
import { describe, expect, it } from '@jest/globals'
import { QuotaBook } from '../../../src/core/admission/quota-book.js'
import { reportUsage } from '../../../src/core/admission/late-usage.js'
import { MemoryQuotaStore, minuteOf } from '../../../src/core/admission/quota.js'
import { AllTargetsFailedError } from '../../../src/core/errors.js'
import { runCascade } from '../../../src/core/invoker/cascade.js'
import { targetKey } from '../../../src/core/targets.js'
import { EAST, WEST, scripted, sdkError, setup } from './harness.js'

const limitsOf = (requests: number, tokens?: number) => new Map([[targetKey(EAST), { requests, tokens }]])

describe('runCascade with a quota on a target', () => {
  it('spills what the minute has no room for to the next target, without sending it (skipped-quota)', async () => {
    const store = new MemoryQuotaStore()
    const { clock, request, policies } = setup()
    const quota = new QuotaBook({ store, clock, limits: limitsOf(5) })
    Object.assign(policies, { quota })
    const upstream = scripted(clock, {})
    const served: string[] = []
    for (let i = 0; i < 12; i++) {
      const result = await clock.run(runCascade(request(upstream.call, { targets: [EAST, WEST] })))
      served.push(result.served.region)
      if (i === 11) expect(result.attempts.map((a) => a.outcome)).toEqual(['skipped-quota', 'success'])
    }
    expect(served.filter((r) => r === 'us-east-1')).toHaveLength(5)
    expect(upstream.sent.filter((s) => s.target.region === 'us-east-1')).toHaveLength(5)
    expect(store.used(targetKey(EAST), minuteOf(clock.now())).requests).toBe(5)
  })

  it('with no other target, the caller is told to come back when the next minute starts', async () => {
    const { clock, request, policies } = setup()
    const start = clock.now()
    Object.assign(policies, { quota: new QuotaBook({ store: new MemoryQuotaStore(), clock, limits: limitsOf(1) }) })
    const upstream = scripted(clock, {})
    await clock.run(runCascade(request(upstream.call, { targets: [EAST] })))
    const error = await clock.run(runCascade(request(upstream.call, { targets: [EAST] }))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AllTargetsFailedError)
    expect((error as AllTargetsFailedError).attempts.map((a) => a.outcome)).toEqual(['skipped-quota'])
    const toNextMinute = Math.ceil((60_000 - (clock.now() % 60_000)) / 1000)
    expect((error as AllTargetsFailedError).retryAfterSeconds).toBe(toNextMinute)
    expect(clock.now() - start).toBeLessThan(1_000)
  })

  it('a 429 gives the whole charge back; a reply refunds the tokens it did not use', async () => {
    const store = new MemoryQuotaStore()
    const { clock, request, policies } = setup({ policies: { backoff: undefined } })
    const quota = new QuotaBook({ store, clock, limits: limitsOf(100, 100_000) })
    Object.assign(policies, { quota })
    const throttled = scripted(clock, { 'us-east-1': [sdkError('ThrottlingException', 429)] })
    await clock.run(runCascade(request(throttled.call, { targets: [EAST, WEST] })))
    // 'hi' is 1 token, plus the 4 096 reserved for a request without maxTokens: all back after the 429.
    expect(quota.left(targetKey(EAST), clock.now())).toEqual(store.used(targetKey(EAST), minuteOf(clock.now())))
    const replies = scripted(clock, {})
    const withUsage = async (...args: Parameters<typeof replies.call>) => {
      await replies.call(...args)
      return { usage: { inputTokens: 1, outputTokens: 9 } } as never
    }
    const before = quota.left(targetKey(EAST), clock.now()).tokens
    await clock.run(runCascade(request(withUsage, { targets: [EAST, WEST] })))
    expect(before - quota.left(targetKey(EAST), clock.now()).tokens).toBe(10)
  })

  it('a reply whose usage comes later (a stream\'s, at its end) is kept in full, then refunded once it says', async () => {
    const { clock, request, policies } = setup({ policies: { backoff: undefined } })
    const quota = new QuotaBook({ store: new MemoryQuotaStore(), clock, limits: limitsOf(100, 100_000) })
    Object.assign(policies, { quota })
    const replies = scripted(clock, {})
    const started = { stream: 'first token read' }
    const streamLike = async (...args: Parameters<typeof replies.call>) => {
      await replies.call(...args)
      return started as never
    }
    const result = await clock.run(runCascade(request(streamLike, { targets: [EAST] })))
    expect(result.output).toBe(started)
    // 'hi' is 1 token, plus the 4 096 reserved for a request without maxTokens: kept while the stream runs.
    const during = quota.left(targetKey(EAST), clock.now()).tokens
    reportUsage(started, 30)
    expect(quota.left(targetKey(EAST), clock.now()).tokens - during).toBe(4_097 - 30)
    // Once: a second report changes nothing.
    reportUsage(started, 1)
    expect(quota.left(targetKey(EAST), clock.now()).tokens - during).toBe(4_097 - 30)
  })
})
