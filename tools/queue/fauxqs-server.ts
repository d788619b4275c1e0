/**
 * An SQS and S3 endpoint on 127.0.0.1 for tests, benches and the demo: the npm package fauxqs (an emulator speaking
 * both protocols, in-process, state in memory), on a port the OS picks.
 */
import { startFauxqs } from 'fauxqs'

export interface QueueServer {
  /** `http://127.0.0.1:<port>`: the endpoint for the SQS and S3 clients. */
  readonly endpoint: string
  stop(): Promise<void>
}

export async function startQueueServer(): Promise<QueueServer> {
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false })
  return { endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() }
}
