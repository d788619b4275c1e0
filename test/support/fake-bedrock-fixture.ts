/** One fake Bedrock per test file, with a real client per region pointed at it; reset after each test. */
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime'
import { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { testClient } from '../../tools/fake-bedrock/bedrock-client.js'

export interface FakeBedrockFixture {
  readonly server: FakeBedrock
  readonly east: BedrockRuntimeClient
  readonly west: BedrockRuntimeClient
}

/** Registers the Jest hooks; read the fields inside tests (they are set in beforeAll). */
export function useFakeBedrock(): FakeBedrockFixture {
  const fixture = {} as { server: FakeBedrock; east: BedrockRuntimeClient; west: BedrockRuntimeClient }
  beforeAll(async () => {
    fixture.server = await FakeBedrock.start()
    fixture.east = testClient(fixture.server, 'us-east-1')
    fixture.west = testClient(fixture.server, 'us-west-2')
  })
  afterEach(() => fixture.server.reset())
  afterAll(async () => {
    fixture.east.destroy()
    fixture.west.destroy()
    await fixture.server.stop()
  })
  return fixture
}
