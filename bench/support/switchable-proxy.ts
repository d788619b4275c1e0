/**
 * A TCP proxy on 127.0.0.1 in front of a local server that can be switched off the way a dependency goes dark:
 * while `down`, connections are accepted and requests written, but nothing is forwarded or answered (the client's own
 * timeouts are what end them). `up()` drops those dead connections and forwards new ones again.
 */
import { createConnection, createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

export interface SwitchableProxy {
  /** `http://127.0.0.1:<port>` of the proxy. */
  readonly endpoint: string
  down(): void
  up(): void
  close(): Promise<void>
}

export async function startSwitchableProxy(targetPort: number): Promise<SwitchableProxy> {
  let isDown = false
  const live = new Map<Socket, Socket>()
  const dark = new Set<Socket>()
  const server = createServer((client) => {
    client.on('error', () => client.destroy())
    client.once('close', () => dark.delete(client))
    if (isDown) {
      dark.add(client)
      client.resume() // read and drop what the client writes
      return
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
    upstream.on('error', () => client.destroy())
    client.on('close', () => { upstream.destroy(); live.delete(client) })
    upstream.on('close', () => client.destroy())
    client.pipe(upstream).pipe(client)
    live.set(client, upstream)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    down() {
      isDown = true
      // Open keep-alive connections go dark too: they stay open and stop answering.
      for (const [client, upstream] of live) {
        upstream.removeAllListeners('close')
        client.unpipe()
        upstream.unpipe()
        upstream.destroy()
        client.resume()
        dark.add(client)
      }
      live.clear()
    },
    up() {
      isDown = false
      for (const client of dark) client.destroy()
      dark.clear()
    },
    async close() {
      for (const client of [...live.keys(), ...dark]) client.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
