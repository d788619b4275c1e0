/**
 * Scenario 7: the SDK's retries are off, so every attempt Breakwater counts is exactly one HTTP call on the wire —
 * the server's call count equals the sum of `served.attempts` and of the calls each AllTargetsFailedError lists.
 */
import type { BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime'
import middy from '@middy/core'
import { describe, expect, it } from '@jest/globals'
import { breakwater, type BreakwaterContext } from '../../src/index.js'
import { AllTargetsFailedError } from '../../src/core/errors.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'
import { directEvent, lambdaContext } from '../support/events.js'
import type { FakeBedrock, FaultRule } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { ask, at, callsIn, chatHandler, EAST, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }

/** A fault plan, the calls it must take (served or failed), and whether the reply is a 200. */
const ROUNDS: readonly [string, FaultRule[], number, boolean][] = [
  ['healthy', [], 1, true],
  // A first 5xx or reset is retried once at once on the same target, then the next target.
  ['us-east-1 503', [{ kind: 'unavailable', region: EAST }], 3, true],
  ['two 429s', [{ kind: 'throttle', region: EAST, times: 2 }], 3, true],
  ['us-east-1 500, one 429 in us-west-2', [{ kind: 'internal', region: EAST }, { kind: 'throttle', region: WEST, times: 1 }], 4, true],
  ['a stream reset', [{ kind: 'reset', region: EAST, times: 1 }], 2, true],
  ['424 everywhere', [{ kind: 'model-error' }], 5, false],
  ['429 everywhere', [{ kind: 'throttle' }], 6, false],
  ['ValidationException', [{ kind: 'validation' }], 1, false],
]

describe('one HTTP call per attempt', () => {
  it.each(ROUNDS)('%s: server calls == served.attempts, or the calls the error lists', async (_name, rules, calls, ok) => {
    server.plan(rules)
    const chat = chatHandler(server, { routes, backoff: { throttleBaseMs: 5, baseMs: 5 }, breaker: false })
    const result = await chat.invoke(directEvent())

    const counted = chat.served.reduce((n, s) => n + s.attempts, 0)
      + chat.errors.reduce((n: number, e) => n + (e instanceof AllTargetsFailedError ? callsIn(e) : 1), 0) // a caller fault: its one call
    expect(result.statusCode === 200).toBe(ok)
    expect(server.callsTo()).toBe(calls)
    expect(counted).toBe(calls)
  })

  it('a maxAttempts smuggled into clientConfig is stripped: still one call per send', async () => {
    server.plan([{ kind: 'unavailable' }])
    const clientConfig: BedrockRuntimeClientConfig = { ...fakeClientConfig(server), maxAttempts: 5 }
    const handler = middy(async (_event: unknown, context: BreakwaterContext) => context.bedrock.converse(ask()))
      .use(breakwater({ routes: { default: [at(EAST)] }, client: { clientConfig }, backoff: false, degradation: false }))
    const error = await handler(directEvent(), lambdaContext() as BreakwaterContext).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AllTargetsFailedError)
    expect(callsIn(error)).toBe(1)
    expect(server.callsTo()).toBe(1)
  })
})
