/**
 * Slow calls count against the breaker: `breaker.slowCallMs` through the preset, on the real wire. A reply slower than
 * the threshold is still returned to the caller, but counts as a failure of its target, so a region that answers
 * slowly is opened like one that fails, and the next request goes to the other region without calling it.
 */
import { describe, expect, it } from '@jest/globals'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { httpApiEvent } from '../support/events.js'
import { at, chatHandler, EAST, parseBody, regionsOf, WEST } from '../support/scenario.js'

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })

const routes = { default: [at(EAST), at(WEST)] }

describe('breaker.slowCallMs through breakwater()', () => {
  it('serves the slow reply, then skips the slow region: its breaker opened on the slow call', async () => {
    server.plan([{ kind: 'delay', region: EAST, delayMs: 120 }])
    const chat = chatHandler(server, { routes, breaker: { slowCallMs: 50, consecutiveFailures: 1 } })

    const first = await chat.invoke(httpApiEvent())
    expect(first.statusCode).toBe(200)
    expect(parseBody(first)).toMatchObject({ text: `echo: hello [${at(EAST)}]`, served: { region: EAST, attempts: 1 } })

    const second = await chat.invoke(httpApiEvent())
    expect(second.statusCode).toBe(200)
    expect(parseBody(second)).toMatchObject({ text: `echo: hello [${at(WEST)}]`, served: { region: WEST } })
    // us-east-1 was skipped without a call: only the first request reached it.
    expect(regionsOf(server.calls)).toEqual([EAST, WEST])
  })

  it('without slowCallMs the same slow region keeps its traffic (the control)', async () => {
    server.plan([{ kind: 'delay', region: EAST, delayMs: 120 }])
    const chat = chatHandler(server, { routes, breaker: { consecutiveFailures: 1 } })
    for (let i = 0; i < 2; i++) expect(parseBody(await chat.invoke(httpApiEvent()))).toMatchObject({ served: { region: EAST } })
    expect(regionsOf(server.calls)).toEqual([EAST, EAST])
  })
})
