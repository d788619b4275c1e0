/**
 * An HTTP proxy on 127.0.0.1 in front of a local DynamoDB, for two things a bare server cannot do:
 *
 * - a database of one's own on a shared DynamoDB Local: DynamoDB Local keeps one database per access key id (and
 *   region) and checks no signature, so rewriting the key in each request's SigV4 `Credential=` gives every proxy its
 *   own tables, whatever credentials its clients sign with (a suite's, a local-invoke Lambda's);
 * - outages without stopping the server (a JVM takes seconds to start and would lose its tables): `hang()` accepts
 *   requests and never answers them, as a DynamoDB gone slow; `refuse()` closes the port and every connection to it;
 *   `restore()` answers again on the same port, with the tables as they were.
 *
 * Unlike switchable-proxy.ts (TCP, used by the chaos bench), it has to read each request's headers, so it is HTTP.
 */
import { Agent, createServer, request, type ClientRequest, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface DynamoDBProxy {
  /** `http://127.0.0.1:<port>` of the proxy: the same port for as long as it lives. */
  readonly endpoint: string
  /** The access key id every request is rewritten to (the database it reaches), when one was given. */
  readonly namespace: string | undefined
  hang(): void
  refuse(): Promise<void>
  restore(): Promise<void>
  close(): Promise<void>
}

interface Flight { readonly upstream: ClientRequest; readonly res: ServerResponse; cut: boolean }

/** `upstream`: the server's endpoint; `namespace`: letters and digits only (DynamoDB Local's rule for key ids). */
export async function startDynamoDBProxy(upstream: string, o: { namespace?: string } = {}): Promise<DynamoDBProxy> {
  if (o.namespace !== undefined && !/^[A-Za-z0-9]+$/.test(o.namespace)) throw new Error(`namespace must be letters and digits: "${o.namespace}"`)
  const target = new URL(upstream)
  const agent = new Agent({ keepAlive: true })
  let mode: 'up' | 'hang' | 'refuse' = 'up'
  const flights = new Set<Flight>()
  const held = new Set<ServerResponse>()

  const server = createServer((req, res) => {
    if (mode !== 'up') {
      hold(res)
      req.resume()
      return
    }
    const headers = { ...req.headers }
    if (o.namespace !== undefined && typeof headers.authorization === 'string') {
      headers.authorization = headers.authorization.replace(/Credential=[^/,\s]*/, `Credential=${o.namespace}`)
    }
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    const flight: Flight = { upstream: up, res, cut: false }
    flights.add(flight)
    up.on('error', () => { if (!flight.cut) res.destroy() })
    res.on('close', () => {
      flights.delete(flight)
      if (!res.writableFinished) up.destroy()
    })
    req.pipe(up)
  })
  const hold = (res: ServerResponse): void => {
    held.add(res)
    res.on('close', () => held.delete(res))
  }
  /** Requests on their way stop getting their answers: the upstream side is dropped, the client's is kept (hang) or not. */
  const cutFlights = (keepClients: boolean): void => {
    for (const flight of flights) {
      flight.cut = true
      flight.upstream.destroy()
      if (keepClients) hold(flight.res)
      else flight.res.destroy()
    }
    flights.clear()
  }

  const port = await listen(0)
  function listen(p: number): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject)
        resolve((server.address() as AddressInfo).port)
      })
    })
  }
  const closeServer = (): Promise<void> => new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })

  return {
    endpoint: `http://127.0.0.1:${port}`,
    namespace: o.namespace,
    hang() {
      if (mode !== 'up') return
      mode = 'hang'
      cutFlights(true)
    },
    async refuse() {
      if (mode === 'refuse') return
      mode = 'refuse'
      cutFlights(false)
      for (const res of held) res.destroy()
      await closeServer()
    },
    async restore() {
      if (mode === 'refuse') await listen(port)
      for (const res of held) res.destroy() // a hung request ends now, as a connection reset, not with a late answer
      held.clear()
      mode = 'up'
    },
    async close() {
      cutFlights(false)
      for (const res of held) res.destroy()
      if (server.listening) await closeServer()
      agent.destroy()
    },
  }
}
