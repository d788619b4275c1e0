/**
 * A real Bedrock Runtime client pointed at the fake server: the SDK's own default HTTP/2 handler, static fake
 * credentials (signed with, never checked) and `maxAttempts: 1`, so one `send` is exactly one HTTP request.
 */
import { BedrockRuntimeClient, type BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime'
import type { FakeBedrock } from './fake-bedrock.js'

/** Credentials the fake accepts; the SigV4 scope they sign with is how the fake learns the region. */
export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDFAKEBEDROCK', secretAccessKey: 'fake-secret-key' } as const

/** The client config that points any Bedrock client at the fake, e.g. for `BedrockClientPool({ clientConfig })`. */
export function fakeClientConfig(server: FakeBedrock): BedrockRuntimeClientConfig {
  return { endpoint: server.endpoint, credentials: FAKE_CREDENTIALS }
}

export function testClient(server: FakeBedrock, region: string, extra: BedrockRuntimeClientConfig = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ ...fakeClientConfig(server), ...extra, region, maxAttempts: 1 })
}
