/**
 * The fake's quotas on the wire: the real BedrockRuntimeClient (`maxAttempts: 1`) over HTTP/2 gets a 429
 * ThrottlingException exactly when a (model, region) is over its quota, and successes again once the bucket has
 * refilled on the fake's injected clock.
 */
import {
  ConverseCommand, ConverseStreamCommand, ThrottlingException, type BedrockRuntimeClient, type ConverseCommandInput,
} from '@aws-sdk/client-bedrock-runtime'
import { testClient } from '../../tools/fake-bedrock/bedrock-client.js'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'

const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0'
function ask(maxTokens?: number): ConverseCommandInput {
  const input: ConverseCommandInput = { modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'where is my order?' }] }] }
  if (maxTokens !== undefined) input.inferenceConfig = { maxTokens }
  return input
}

/** 'ok', or the SDK exception's name. */
async function outcome(client: BedrockRuntimeClient, input: ConverseCommandInput): Promise<string> {
  try {
    await client.send(new ConverseCommand(input))
    return 'ok'
  } catch (e) {
    return e instanceof ThrottlingException ? `${e.name} ${e.$metadata.httpStatusCode}` : String(e)
  }
}

describe('quotas over HTTP/2', () => {
  let now = 0
  let server: FakeBedrock
  let east: BedrockRuntimeClient
  let west: BedrockRuntimeClient
  beforeAll(async () => {
    server = await FakeBedrock.start({ now: () => now })
    east = testClient(server, 'us-east-1')
    west = testClient(server, 'us-west-2')
  })
  afterEach(() => server.reset())
  afterAll(async () => {
    east.destroy()
    west.destroy()
    await server.stop()
  })

  it('answers 429 exactly when over requests per minute, and serves again after the refill', async () => {
    server.quotas([{ model: MODEL, region: 'us-east-1', requestsPerMinute: 6, burstSeconds: 30 }]) // 3 held, 1 per 10 s
    const first: string[] = []
    for (let i = 0; i < 4; i++) first.push(await outcome(east, ask()))
    expect(first).toEqual(['ok', 'ok', 'ok', 'ThrottlingException 429'])
    expect(await outcome(west, ask())).toBe('ok') // another region, another quota (none here)
    now += 9_000
    expect(await outcome(east, ask())).toBe('ThrottlingException 429')
    now += 1_000
    expect(await outcome(east, ask())).toBe('ok')
    expect(await outcome(east, ask())).toBe('ThrottlingException 429')
    expect(server.calls.map((c) => c.throttledBy ?? c.status)).toEqual([200, 200, 200, 'requests', 200, 'requests', 200, 'requests'])
    expect(server.calls[3]).toMatchObject({ status: 429, errorType: 'ThrottlingException', fault: undefined })
  })

  it('reserves input + maxTokens at admission and refunds the unused part at the end', async () => {
    server.quotas([{ tokensPerMinute: 3_000 }])
    expect(await outcome(east, ask(2_000))).toBe('ok')
    const left = server.headroom(MODEL, 'us-east-1')?.tokens ?? 0
    // Only the input (~5 tokens) and the short echo reply (~20) were kept.
    expect(left).toBeGreaterThan(2_950)
    expect(await outcome(east, ask(2_990))).toBe('ThrottlingException 429')
    expect(server.calls[1]?.throttledBy).toBe('tokens')
    // Without inferenceConfig.maxTokens a call reserves 4096 tokens: more than this bucket ever holds.
    expect(await outcome(east, ask())).toBe('ThrottlingException 429')
  })

  it('a fault rule that answers in place of the model decides first and costs no quota', async () => {
    server.quotas([{ requestsPerMinute: 1 }]).plan([{ kind: 'unavailable', times: 2 }])
    expect(await outcome(east, ask())).toMatch(/ServiceUnavailable/)
    expect(await outcome(east, ask())).toMatch(/ServiceUnavailable/)
    expect(await outcome(east, ask())).toBe('ok')
    expect(await outcome(east, ask())).toBe('ThrottlingException 429')
  })

  it('charges a stream at admission and refunds its unused tokens when it ends', async () => {
    server.quotas([{ requestsPerMinute: 1, tokensPerMinute: 6_000 }])
    const out = await east.send(new ConverseStreamCommand(ask(1_000)))
    for await (const _ of out.stream ?? []) { /* read to the end */ }
    await new Promise((resolve) => setTimeout(resolve, 20)) // the server settles on the stream's close
    expect(server.headroom(MODEL, 'us-east-1')).toEqual({ requests: 0, tokens: expect.any(Number) })
    expect(server.headroom(MODEL, 'us-east-1')?.tokens).toBeGreaterThan(5_950)
    await expect(east.send(new ConverseStreamCommand(ask(1_000)))).rejects.toBeInstanceOf(ThrottlingException)
  })

  it('a delay rule shapes an admitted reply: the call is still charged', async () => {
    server.quotas([{ requestsPerMinute: 1 }]).plan([{ kind: 'delay', delayMs: 1 }])
    expect(await outcome(east, ask())).toBe('ok')
    expect(await outcome(east, ask())).toBe('ThrottlingException 429')
  })
})
