/**
 * The parent's handle on one instance's worker thread (`instance-worker.ts`): starts it, dispatches invocations,
 * collects its breaker events and DynamoDB counts, and kills it — as Lambda discards a sandbox that timed out.
 */
import { Worker } from 'node:worker_threads'
import type { FromWorker, ToWorker, WorkerData } from './instance-worker.js'
import type { BreakerTransition, DynamoCounts, InvocationResult, ProbeGrant } from './types.js'

const BOOT = new URL('./instance-boot.mjs', import.meta.url)
const ENTRY = new URL('./instance-worker.ts', import.meta.url).href

/** `at`: epoch ms (true time) at which the instance saw the event. */
export interface ThreadEvents {
  readonly onBreaker: (t: Omit<BreakerTransition, 'atMs'>, at: number) => void
  readonly onProbe: (p: Omit<ProbeGrant, 'atMs'>, at: number) => void
}

export class InstanceThread {
  readonly ready: Promise<void>
  /** The instance's latest DynamoDB counts (reported with every invocation it finishes). */
  dynamo: DynamoCounts = { reads: 0, writes: 0, storeErrors: 0 }
  readonly #worker: Worker
  readonly #pending = new Map<number, (result: InvocationResult) => void>()
  #seq = 0
  #exited = false
  #closed: ((counts: DynamoCounts) => void) | undefined

  constructor(data: WorkerData, events: ThreadEvents) {
    this.#worker = new Worker(BOOT, { workerData: { ...data, entry: ENTRY } })
    this.ready = new Promise((resolve, reject) => {
      this.#worker.once('error', reject)
      this.#worker.once('exit', (code) => reject(new Error(`chaos bench: instance ${data.id} exited (${code}) before it was ready`)))
      this.#worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready': return resolve()
          case 'breaker': return events.onBreaker({ key: m.key, to: m.to, instance: m.instance }, m.at)
          case 'probe': return events.onProbe({ key: m.key, stage: m.stage }, m.at)
          case 'done':
            this.dynamo = m.dynamo
            this.#pending.get(m.seq)?.(m.result)
            this.#pending.delete(m.seq)
            return
          case 'closed':
            this.dynamo = m.dynamo
            this.#closed?.(m.dynamo)
            return
        }
      })
    })
    // A thread that dies with work in flight (an uncaught error) fails that work the way Lambda would: an error.
    this.#worker.on('error', () => this.#failPending())
    this.#worker.on('exit', () => {
      this.#exited = true
      this.#failPending()
    })
  }

  /** False once the thread has exited (killed, or died of an uncaught error): it takes no more invocations. */
  get alive(): boolean {
    return !this.#exited
  }

  invoke(event: unknown, timeoutMs: number, requestId: string): Promise<InvocationResult> {
    if (this.#exited) return Promise.resolve({ outcome: 'raw-error' })
    const seq = ++this.#seq
    return new Promise((resolve) => {
      this.#pending.set(seq, resolve)
      this.#send({ type: 'invoke', seq, event, timeoutMs, requestId })
    })
  }

  /** Lambda's timeout: the sandbox is gone with whatever it was doing. */
  async kill(): Promise<void> {
    this.#pending.clear()
    await this.#worker.terminate()
  }

  /** Closes the instance's clients, takes its final counts, ends the thread. */
  async close(): Promise<DynamoCounts> {
    const counts = new Promise<DynamoCounts>((resolve) => { this.#closed = resolve })
    this.#send({ type: 'close' })
    const lastKnown = new Promise<DynamoCounts>((resolve) => setTimeout(() => resolve(this.dynamo), 2_000).unref())
    const final = await Promise.race([counts, lastKnown])
    await this.#worker.terminate()
    return final
  }

  #send(message: ToWorker): void {
    this.#worker.postMessage(message)
  }

  #failPending(): void {
    for (const resolve of this.#pending.values()) resolve({ outcome: 'raw-error' })
    this.#pending.clear()
  }
}
