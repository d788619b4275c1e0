/**
 * The fake Bedrock server's fault plan and transport, driven by the real SDK: region routing from SigV4, spent
 * rules, seeded probability, hangs aborted by the caller, delays, resets, one request per `send`, and HTTP/2.
 */
import http from 'node:http'
import { BedrockRuntimeClient, ConverseCommand, type ConverseCommandInput } from '@aws-sdk/client-bedrock-runtime'
import { NodeHttp2Handler } from '@smithy/node-http-handler'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { FAKE_CREDENTIALS, testClient } from '../../tools/fake-bedrock/bedrock-client.js'
import { useFakeBedrock } from '../support/fake-bedrock-fixture.js'

const MODEL = 'amazon.nova-lite-v1:0'
const ask = (text: string): ConverseCommandInput => ({ modelId: MODEL, messages: [{ role: 'user', content: [{ text }] }] })
const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: Error) => e.name)

const bed = useFakeBedrock()

describe('fault plan', () => {
  it('reads the region from the SigV4 scope, so one region fails while another serves', async () => {
    bed.server.plan([{ kind: 'unavailable', region: 'us-east-1' }])
    expect(await outcome(bed.east.send(new ConverseCommand(ask('a'))))).toBe('ServiceUnavailableException')
    expect(await outcome(bed.west.send(new ConverseCommand(ask('b'))))).toBe('ok')
    expect(bed.server.callsTo({ region: 'us-east-1' })).toBe(1)
    expect(bed.server.callsTo({ region: 'us-west-2', model: MODEL })).toBe(1)
    expect(bed.server.callsTo({ model: 'other' })).toBe(0)
  })

  it('spends a rule with `times`, then answers normally', async () => {
    bed.server.plan([{ kind: 'throttle', times: 2 }])
    const results = []
    for (let i = 0; i < 3; i++) results.push(await outcome(bed.east.send(new ConverseCommand(ask('x')))))
    expect(results).toEqual(['ThrottlingException', 'ThrottlingException', 'ok'])
    expect(bed.server.remaining()).toEqual([0])
  })

  it('tries rules in order; filters by model and operation', async () => {
    bed.server.plan([
      { kind: 'not-found', model: 'nope' },
      { kind: 'model-timeout', operation: 'invoke' },
      { kind: 'internal', operation: 'converse', times: 1 },
    ])
    expect(await outcome(bed.east.send(new ConverseCommand(ask('x'))))).toBe('InternalServerException')
    expect(await outcome(bed.east.send(new ConverseCommand(ask('x'))))).toBe('ok')
  })

  it('rolls `probability` with the injected random, so runs repeat', async () => {
    const rolls = [0.9, 0.1, 0.6, 0.4]
    const seeded = await FakeBedrock.start({ random: () => rolls.shift() ?? 1 })
    const client = testClient(seeded, 'eu-west-1')
    try {
      seeded.plan([{ kind: 'throttle', probability: 0.5 }])
      const results = []
      for (let i = 0; i < 4; i++) results.push(await outcome(client.send(new ConverseCommand(ask('x')))))
      expect(results).toEqual(['ok', 'ThrottlingException', 'ok', 'ThrottlingException'])
    } finally {
      client.destroy()
      await seeded.stop()
    }
  })

  it('`whenLongerThan.messages` hits only long histories', async () => {
    bed.server.plan([{ kind: 'context-overflow', whenLongerThan: { messages: 2 } }])
    const turns = (n: number): ConverseCommandInput['messages'] =>
      Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'assistant' as const : 'user' as const, content: [{ text: `t${i}` }] }))
    expect(await outcome(bed.east.send(new ConverseCommand({ modelId: MODEL, messages: turns(1) })))).toBe('ok')
    expect(await outcome(bed.east.send(new ConverseCommand({ modelId: MODEL, messages: turns(3) })))).toBe('ValidationException')
  })

  it('rejects rules that cannot work', () => {
    expect(() => bed.server.plan([{ kind: 'throttle', probability: 2 }])).toThrow(RangeError)
    expect(() => bed.server.plan([{ kind: 'delay' }])).toThrow(/delayMs/)
    expect(() => bed.server.plan([{ kind: 'stop-reason' }])).toThrow(/stopReason/)
    expect(() => bed.server.plan([{ kind: 'throttle', stopReason: 'max_tokens' }])).toThrow(/stopReason/)
  })

  it('a stop-reason rule answers 200 with that stopReason, and a blocked message for an intervention', async () => {
    bed.server.plan([{ kind: 'stop-reason', stopReason: 'content_filtered', times: 1 }, { kind: 'stop-reason', stopReason: 'max_tokens' }])
    const blocked = await bed.east.send(new ConverseCommand(ask('x')))
    expect(blocked).toMatchObject({
      stopReason: 'content_filtered', output: { message: { content: [{ text: expect.stringMatching(/cannot answer/) }] } },
    })
    expect(await bed.east.send(new ConverseCommand(ask('x')))).toMatchObject({ stopReason: 'max_tokens' })
  })
})

describe('transport faults', () => {
  it('a hang never answers; the caller aborts it with an AbortSignal', async () => {
    bed.server.plan([{ kind: 'hang' }])
    const controller = new AbortController()
    const sent = bed.east.send(new ConverseCommand(ask('x')), { abortSignal: controller.signal })
    await bed.server.waitForCalls(1)
    controller.abort(new Error('attempt timeout'))
    const err = await sent.then(() => undefined, (e: Error) => e)
    // The SDK's retry middleware re-creates the AbortError, so the signal's reason is not on it: check the signal.
    expect(err).toMatchObject({ name: 'AbortError', message: 'Request aborted' })
    expect(err?.cause).toBeUndefined()
    await until(() => bed.server.calls[0]?.endedAt !== undefined)
    expect(bed.server.calls[0]?.outcome).toBe('aborted')
  })

  it('a hang also ends with AbortSignal.timeout', async () => {
    bed.server.plan([{ kind: 'hang' }])
    const err = await outcome(bed.east.send(new ConverseCommand(ask('x')), { abortSignal: AbortSignal.timeout(50) }))
    expect(err).toBe('AbortError')
  })

  it('stop() ends a call left hanging, so nothing keeps Jest alive', async () => {
    const own = await FakeBedrock.start()
    const client = testClient(own, 'us-east-1')
    own.plan([{ kind: 'hang' }])
    const sent = outcome(client.send(new ConverseCommand(ask('x'))))
    await own.waitForCalls(1)
    await own.stop()
    expect(await sent).not.toBe('ok')
    client.destroy()
  })

  it('a delay answers normally, late', async () => {
    bed.server.plan([{ kind: 'delay', delayMs: 60 }])
    const started = Date.now()
    await bed.east.send(new ConverseCommand(ask('x')))
    expect(Date.now() - started).toBeGreaterThanOrEqual(55)
    expect(bed.server.calls[0]).toMatchObject({ outcome: 'ok', fault: 'delay' })
  })

  it('a reset surfaces as a network error, not a service exception', async () => {
    bed.server.plan([{ kind: 'reset', times: 1 }, { kind: 'reset', resetScope: 'session', times: 1 }])
    const failed = (e: Error & { code?: string }): Error & { code?: string } => e
    const stream = await bed.east.send(new ConverseCommand(ask('x'))).then(() => undefined, failed)
    const session = await bed.east.send(new ConverseCommand(ask('x'))).then(() => undefined, failed)
    // In plain Node `stream.code` is ERR_HTTP2_STREAM_ERROR. Under Jest's VM modules the http2 error comes from
    // another realm, fails the SDK's `instanceof Error` and is wrapped into "AWS SDK error wrapper for Error [CODE]...".
    expect(stream?.code ?? stream?.message).toMatch(/ERR_HTTP2_STREAM_ERROR/)
    // A destroyed session ends the pending request as "did not get a response", named TimeoutError by the handler.
    expect(session).toMatchObject({ name: 'TimeoutError', message: expect.stringMatching(/did not get a response/) })
    expect(stream).not.toHaveProperty('$metadata.httpStatusCode')
    expect(bed.server.calls.map((c) => c.outcome)).toEqual(['reset', 'reset'])
  })
})

describe('transport', () => {
  it('maxAttempts 1 makes exactly one HTTP request per send; the SDK default would retry', async () => {
    bed.server.plan([{ kind: 'unavailable' }])
    await outcome(bed.east.send(new ConverseCommand(ask('x'))))
    expect(bed.server.callsTo()).toBe(1)
    const retrying = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: bed.server.endpoint, credentials: FAKE_CREDENTIALS })
    try {
      await outcome(retrying.send(new ConverseCommand(ask('x'))))
      expect(bed.server.callsTo()).toBe(1 + 3)
    } finally {
      retrying.destroy()
    }
  })

  it('speaks HTTP/2 cleartext, and the SDK default opens one HTTP/2 session per request', async () => {
    await bed.east.send(new ConverseCommand(ask('a')))
    await bed.east.send(new ConverseCommand(ask('b')))
    const [a, b] = bed.server.calls
    expect(a?.protocol).toBe('h2c')
    expect(a?.session).not.toBe(b?.session)
  })

  it('a NodeHttp2Handler without disableConcurrentStreams reuses one session', async () => {
    const handler = new NodeHttp2Handler({ disableConcurrentStreams: false })
    const client = testClient(bed.server, 'us-east-1', { requestHandler: handler })
    try {
      await Promise.all([client.send(new ConverseCommand(ask('a'))), client.send(new ConverseCommand(ask('b')))])
      await client.send(new ConverseCommand(ask('c')))
      expect(new Set(bed.server.calls.map((c) => c.session)).size).toBe(1)
    } finally {
      client.destroy()
    }
  })

  it('refuses HTTP/1.1, so every logged call went over HTTP/2', async () => {
    const err = await new Promise<Error | undefined>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: bed.server.port, method: 'POST', path: `/model/${MODEL}/converse` })
      req.on('response', (res) => { res.resume(); resolve(undefined) })
      req.on('error', resolve)
      req.end('{}')
    })
    expect(err?.message).toBeDefined()
    expect(bed.server.callsTo()).toBe(0)
  })
})

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(check()).toBe(true)
}
