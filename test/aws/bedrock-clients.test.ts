/**
 * The client pool: one client per region, built once, never retrying on its own — checked on the real wire, where
 * a 503 region shows exactly how many HTTP requests one call made.
 */
import { BedrockRuntimeClient, ConverseCommand, type BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime'
import { ConfiguredRetryStrategy } from '@smithy/core/retry'
import { BedrockClientPool, type BedrockClientConfig } from '../../src/aws/bedrock-clients.js'
import { BreakwaterConfigError } from '../../src/core/errors.js'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { fakeClientConfig } from '../../tools/fake-bedrock/bedrock-client.js'

const ask = { modelId: 'amazon.nova-micro-v1:0', messages: [{ role: 'user' as const, content: [{ text: 'hi' }] }] }

let server: FakeBedrock
const pools: BedrockClientPool[] = []
const pool = (...args: ConstructorParameters<typeof BedrockClientPool>): BedrockClientPool => {
  const p = new BedrockClientPool(...args)
  pools.push(p)
  return p
}

beforeAll(async () => {
  server = await FakeBedrock.start()
})
afterEach(() => {
  for (const p of pools.splice(0)) p.destroy()
  server.reset()
})
afterAll(() => server.stop())

describe('BedrockClientPool', () => {
  it('builds one client per region, lazily, and hands out the same one every time', async () => {
    const p = pool()
    expect(p.regions).toEqual([])
    const east = p.get('us-east-1')
    expect(p.get('us-east-1')).toBe(east)
    expect(p.get('eu-west-1')).not.toBe(east)
    expect(p.regions).toEqual(['us-east-1', 'eu-west-1'])
    expect(await east.config.region()).toBe('us-east-1')
    await expect(p.getChecked('us-east-1')).resolves.toBe(east)
  })

  it('always sets maxAttempts to 1, even when a caller sneaks in more', async () => {
    const sneaky = { ...fakeClientConfig(server), maxAttempts: 5 } as BedrockClientConfig
    const client = pool({ clientConfig: sneaky }).get('us-east-1')
    expect(await client.config.maxAttempts()).toBe(1)
  })

  it('makes exactly one HTTP request per call into a failing region (no hidden SDK retries)', async () => {
    server.plan([{ kind: 'unavailable', region: 'us-east-1' }])
    const p = pool({ clientConfig: fakeClientConfig(server) })
    await expect((await p.getChecked('us-east-1')).send(new ConverseCommand(ask))).rejects.toThrow('Bedrock is unable')
    await expect((await p.getChecked('us-west-2')).send(new ConverseCommand(ask))).resolves.toBeDefined()
    expect(server.callsTo({ region: 'us-east-1' })).toBe(1)
    expect(server.callsTo({ region: 'us-west-2' })).toBe(1)
  })

  it('drops a retryStrategy smuggled past the types', async () => {
    server.plan([{ kind: 'internal' }])
    const retryStrategy = new ConfiguredRetryStrategy(3, 1)
    const alone = new BedrockRuntimeClient({ ...fakeClientConfig(server), region: 'us-east-1', retryStrategy })
    await expect(alone.send(new ConverseCommand(ask))).rejects.toThrow()
    alone.destroy()
    expect(server.callsTo()).toBe(3) // what the strategy does when it is let in
    const smuggled = { ...fakeClientConfig(server), retryStrategy } as BedrockRuntimeClientConfig as BedrockClientConfig
    await expect(pool({ clientConfig: smuggled }).get('us-east-1').send(new ConverseCommand(ask))).rejects.toThrow()
    expect(server.callsTo()).toBe(3 + 1)
  })

  it('uses the factory for custom clients', () => {
    const built: string[] = []
    const p = pool({ factory: (region) => (built.push(region), new BedrockRuntimeClient({ region, maxAttempts: 1 })) })
    p.get('ap-southeast-2')
    p.get('ap-southeast-2')
    expect(built).toEqual(['ap-southeast-2'])
  })

  it('refuses a factory client that would retry on its own, with a config error that says why', async () => {
    const p = pool({ factory: (region) => new BedrockRuntimeClient({ region, maxAttempts: 3 }) })
    const err = await p.getChecked('us-east-1').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BreakwaterConfigError)
    expect((err as BreakwaterConfigError).field).toBe('client.factory')
    expect((err as Error).message).toMatch(/maxAttempts: 1.*has 3/)
  })

  it('rejects invalid options at creation', () => {
    const factory = (region: string): BedrockRuntimeClient => new BedrockRuntimeClient({ region, maxAttempts: 1 })
    expect(() => new BedrockClientPool({ factory, clientConfig: {} })).toThrow(BreakwaterConfigError)
    expect(() => new BedrockClientPool({ factory: 'nope' as never })).toThrow(/factory/)
  })
})
