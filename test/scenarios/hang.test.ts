/**
 * Scenario 8: a target that never answers. The attempt is aborted at `backoff.attemptTimeoutMs`, the server sees the
 * call end as aborted, and the next target serves — asked for fewer tokens, since the first one timed out.
 */
import { describe, expect, it } from '@jest/globals'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { at, chatHandler, EAST, parseBody, regionsOf, until, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const ATTEMPT_TIMEOUT_MS = 250
const routes = { default: [at(EAST), at(WEST)] }

describe('a hanging target', () => {
  it('is aborted at attemptTimeoutMs and the next target serves', async () => {
    server.plan([{ kind: 'hang', region: EAST }])
    const chat = chatHandler(server, { routes, backoff: { attemptTimeoutMs: ATTEMPT_TIMEOUT_MS } })
    const started = Date.now()
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(200)
    expect(parseBody(result)).toMatchObject({
      text: `echo: hello [${at(WEST)}]`,
      served: { region: WEST, attempts: 2, degraded: 'fallback-target', degradations: ['reduced-max-tokens', 'fallback-target'] },
    })
    expect(regionsOf(server.calls)).toEqual([EAST, WEST])
    const [hung, served] = server.calls
    await until(() => hung?.endedAt !== undefined)
    expect(hung?.outcome).toBe('aborted')
    // Aborted at the attempt timeout (the timer starts before the request reaches the server): not before it, and
    // nowhere near the 30 s default; the next region right after.
    expect((hung?.endedAt ?? 0) - started).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS)
    expect((served?.startedAt ?? 0) - started).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS)
    expect((served?.startedAt ?? 0) - started).toBeLessThan(ATTEMPT_TIMEOUT_MS + 1_000)
    // A timeout asks the next target for fewer tokens (fallback.timeoutMaxTokens when the request set none).
    expect(served?.body).toMatchObject({ inferenceConfig: { maxTokens: 512 } })
    expect(hung?.body).not.toHaveProperty('inferenceConfig')
  })

  it('a hang on every target ends in a 503 after one timeout per attempt, not a Lambda timeout', async () => {
    server.plan([{ kind: 'hang' }])
    const chat = chatHandler(server, { routes, backoff: { attemptTimeoutMs: 100, maxAttempts: 1 } })
    const started = Date.now()
    const result = await chat.invoke(httpApiEvent())

    expect(result.statusCode).toBe(503)
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 100 - 5)
    expect(regionsOf(server.calls)).toEqual([EAST, WEST])
    await until(() => server.calls.every((c) => c.endedAt !== undefined))
    expect(server.calls.map((c) => c.outcome)).toEqual(['aborted', 'aborted'])
  })
})
