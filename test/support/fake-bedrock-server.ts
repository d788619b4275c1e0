/** One fake Bedrock per test file, reset before each test: the Jest hooks every real-wire suite needs. */
import { afterAll, beforeAll, beforeEach } from '@jest/globals'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'

/**
 * Registers the hooks and hands the started server to `assign`
 * (use: `let server!: FakeBedrock; useFakeBedrockServer((s) => { server = s })`).
 */
export function useFakeBedrockServer(assign: (server: FakeBedrock) => void): void {
  let server: FakeBedrock
  beforeAll(async () => { server = await FakeBedrock.start(); assign(server) })
  beforeEach(() => server.reset())
  afterAll(async () => { await server.stop() })
}
