/**
 * One Bedrock Runtime client per region, created on first use and kept for the life of the Lambda container, so
 * warm invocations reuse credentials, endpoint resolution and the HTTP/2 handler instead of rebuilding them.
 *
 * Every client has `maxAttempts: 1`: the SDK's own retries are off so that Breakwater's backoff is the only retry
 * layer (two layers multiply: 3 SDK attempts × 3 of ours = 9 calls into a throttled region).
 */
import { BedrockRuntimeClient, type BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime'
import { BreakwaterConfigError } from '../core/errors.js'
import { dict, func, object, parseOptions } from '../core/config/index.js'

const SOURCE = 'breakwater/bedrock'

/**
 * Client settings shared by every region. `region` comes from the target; `maxAttempts` is always 1; a custom
 * `retryStrategy` is not accepted because it would bring the SDK's retries back regardless of `maxAttempts`.
 */
export type BedrockClientConfig = Omit<BedrockRuntimeClientConfig, 'region' | 'maxAttempts' | 'retryStrategy'>

export interface BedrockClientPoolOptions {
  /**
   * Settings for every client the pool builds: `endpoint`, `credentials`, `requestHandler`, `logger`, ...
   * The SDK's default Node handler is HTTP/2 (`NodeHttp2Handler`) and opens one HTTP/2 session per request
   * (`disableConcurrentStreams: true`); pass `requestHandler: new NodeHttp2Handler({ disableConcurrentStreams: false })`
   * from `@smithy/node-http-handler` to multiplex calls over one session per region instead.
   * @example { clientConfig: { endpoint: 'http://127.0.0.1:4010', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } } }
   */
  readonly clientConfig?: BedrockClientConfig
  /**
   * Builds the client for a region instead of the pool (custom middleware stacks, tests). The client it returns
   * MUST have `maxAttempts: 1`: {@link BedrockClientPool.getChecked} verifies this on first use and throws a
   * `BreakwaterConfigError` otherwise. Give either `factory` or `clientConfig`, not both.
   * @example { factory: (region) => new BedrockRuntimeClient({ region, maxAttempts: 1, logger: console }) }
   */
  readonly factory?: (region: string) => BedrockRuntimeClient
}

export class BedrockClientPool {
  private readonly clients = new Map<string, BedrockRuntimeClient>()
  private readonly checks = new Map<string, Promise<BedrockRuntimeClient>>()
  /** Clients whose check has passed: a call takes them without awaiting anything. */
  private readonly verified = new Map<string, BedrockRuntimeClient>()
  private readonly build: (region: string) => BedrockRuntimeClient

  constructor(options: BedrockClientPoolOptions = {}) {
    options = parseOptions(CLIENT_OPTIONS, options, SOURCE, 'client')
    const shared = withoutRetries(options.clientConfig ?? {})
    this.build = options.factory ?? ((region) => new BedrockRuntimeClient({ ...shared, region, maxAttempts: 1 }))
  }

  /** The client for `region`, built on first use and the same object on every later call. */
  get(region: string): BedrockRuntimeClient {
    let client = this.clients.get(region)
    if (client === undefined) {
      client = this.build(region)
      this.clients.set(region, client)
    }
    return client
  }

  /**
   * Like {@link get}, but the first call per region also confirms the client will not retry on its own
   * (`maxAttempts` resolves to 1). The check runs once per region; later calls cost one resolved promise.
   */
  getChecked(region: string): Promise<BedrockRuntimeClient> {
    let checked = this.checks.get(region)
    if (checked === undefined) {
      checked = checkNoRetries(this.get(region), region)
      checked.then((client) => this.verified.set(region, client), () => undefined)
      // A failed check is not cached as a success, but is kept so every call reports the same config error.
      this.checks.set(region, checked)
    }
    return checked
  }

  /** The client for `region` if its check has already passed, else undefined (then await {@link getChecked}). */
  verifiedClient(region: string): BedrockRuntimeClient | undefined {
    return this.verified.get(region)
  }

  /** Regions that have a client so far. */
  get regions(): string[] {
    return [...this.clients.keys()]
  }

  /** Closes every client's connections (tests, scripts). A Lambda container never needs to call this. */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy()
    this.clients.clear()
    this.checks.clear()
  }
}

/** The router's `client` option, as data: `{ clientConfig }` or `{ factory }`, nothing else, named `client.*`. */
export const CLIENT_OPTIONS = object({
  clientConfig: dict({ must: 'must be a BedrockRuntimeClient config object' }),
  factory: func('(region) => BedrockRuntimeClient'),
}, {
  label: 'a client',
  source: SOURCE,
  must: 'must be { clientConfig } or { factory }',
  refine: [(o: BedrockClientPoolOptions) => (o.factory !== undefined && o.clientConfig !== undefined
    ? { at: 'clientConfig', problem: 'cannot be combined with factory: configure the clients inside the factory' }
    : undefined)],
})

/** Strips settings that would re-enable SDK retries, for callers who bypass the types (plain JS, `as` casts). */
function withoutRetries(config: BedrockClientConfig): BedrockClientConfig {
  const { maxAttempts: _m, retryStrategy: _r, region: _g, ...rest } = config as BedrockRuntimeClientConfig
  return rest
}

async function checkNoRetries(client: BedrockRuntimeClient, region: string): Promise<BedrockRuntimeClient> {
  const provider: unknown = client.config?.maxAttempts
  const maxAttempts = typeof provider === 'function' ? await (provider as () => Promise<number>)() : provider
  if (maxAttempts !== 1) {
    throw new BreakwaterConfigError(
      SOURCE,
      'client.factory',
      `must build clients with maxAttempts: 1 so Breakwater is the only retry layer (the ${region} client has ${String(maxAttempts)})`,
    )
  }
  return client
}
