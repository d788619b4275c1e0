/**
 * A DynamoDBClient stand-in for the scale model: `send(command)` answers from the in-process table
 * (`table-model.ts`) after a round trip on the simulated clock, so the real DynamoDBBreakerStore runs unchanged on
 * thousands of simulated containers. It plays the store's client as the store builds it: two attempts, the second
 * after the SDK's throttling backoff (random, up to 1 s), both within the store's 700 ms operation budget.
 *
 * Two designs the store does not have are modelled here, at the wire, so the store's own logic still decides
 * every request:
 * - `shards` S > 1: window items (sort key `w#…`) are written under S partition keys, `<pk>#<shard>` (the writer's
 *   shard: its container number mod S), and a window Query becomes S Queries, one per shard key, whose items the
 *   store sums as before. Shards under one partition key (`w#<bucket>#<shard>`) would not help: a key's items
 *   share its partition's 1,000 WCU.
 * - `batchMs` > 0: a container's window writes are coalesced (their `ADD` operands summed) and sent once per
 *   `batchMs`, into the bucket of the second they are sent in; the store's window Query is answered from the
 *   container's last one while that is younger than `batchMs` (the counts it would read are that stale anyway).
 */
import {
  DynamoDBServiceException, type AttributeValue, type QueryCommandInput, type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb'
import { bucketSk, bucketStart } from '../../src/aws/dynamodb/items.js'
import type { Item } from './expressions.js'
import type { Scheduler } from './scheduler.js'
import type { TableModel } from './table-model.js'

export interface WireDesign {
  /** Partition keys the window items are spread over (1: today's one). */
  readonly shards: number
  /** Window writes and reads coalesced per container over this long, ms (0: each sent at once, as today). */
  readonly batchMs: number
}

export interface FakeClientOptions {
  readonly table: TableModel
  readonly sim: Pick<Scheduler, 'now' | 'sleep'>
  readonly design: WireDesign
  /** This container's number (its shard). */
  readonly container: number
  readonly random: () => number
  /** One round trip, ms (0: none, and no scheduler needed). */
  readonly latencyMs: number
}

/** The store's defaults (src/aws/dynamodb/store.ts): two attempts, within 700 ms. */
const MAX_ATTEMPTS = 2
const BUDGET_MS = 700
/** The SDK's backoff before retrying a throttled request: random, up to 2 × its 500 ms throttling base. */
const THROTTLE_BACKOFF_MS = 1_000

interface Command { readonly input: unknown; readonly constructor: { readonly name: string } }

const isWindowKey = (key: Item | undefined): boolean => (key?.sk && 'S' in key.sk ? key.sk.S?.startsWith('w#') ?? false : false)
const pkOf = (key: Item | undefined): string => (key?.pk && 'S' in key.pk ? key.pk.S ?? '' : '')

/** The value placeholder a Query's key condition fixes `pk` with (`pk = :pk`, or through a `#name`). */
function pkPlaceholder(input: QueryCommandInput): string | undefined {
  for (const m of (input.KeyConditionExpression ?? '').matchAll(/(#?\w+)\s*=\s*(:\w+)/g)) {
    const name = m[1]?.startsWith('#') ? input.ExpressionAttributeNames?.[m[1]] : m[1]
    if (name === 'pk') return m[2]
  }
  return undefined
}

/** The placeholders an update expression ADDs (summed when two updates of one item are coalesced). */
function addOperands(expression: string): Set<string> {
  const clause = /\bADD\b(.*?)(?=\b(?:SET|REMOVE|DELETE)\b|$)/i.exec(expression)?.[1] ?? ''
  return new Set(clause.match(/:\w+/g) ?? [])
}

/** Two updates of one item as one: the ADD operands summed, every other value the later update's. */
function merge(known: UpdateItemCommandInput | undefined, input: UpdateItemCommandInput): UpdateItemCommandInput {
  if (!known) return input
  const values: Record<string, AttributeValue> = { ...input.ExpressionAttributeValues }
  for (const k of addOperands(input.UpdateExpression ?? '')) {
    values[k] = { N: String(Number(known.ExpressionAttributeValues?.[k]?.N ?? 0) + Number(input.ExpressionAttributeValues?.[k]?.N ?? 0)) }
  }
  return { ...input, ExpressionAttributeValues: values }
}

export class FakeDynamoDBClient {
  readonly #o: FakeClientOptions
  readonly #pending = new Map<string, UpdateItemCommandInput>()
  #flushAt: number | undefined
  readonly #lastQuery = new Map<string, { at: number; items: Item[] }>()

  constructor(options: FakeClientOptions) {
    this.#o = options
  }

  /** What the store calls. Only the four commands it sends are known. */
  async send(command: Command): Promise<unknown> {
    const name = command.constructor.name
    const { design } = this.#o
    if (name === 'UpdateItemCommand') {
      const input = command.input as UpdateItemCommandInput
      if (!isWindowKey(input.Key)) return this.#wire(name, input)
      const sharded = this.#sharded(input)
      if (design.batchMs > 0) return this.#coalesce(sharded)
      return this.#wire(name, sharded)
    }
    if (name === 'QueryCommand') {
      const input = command.input as QueryCommandInput
      const window = Object.values(input.ExpressionAttributeValues ?? {}).some((v) => v.S?.startsWith('w#'))
      if (!window) return this.#wire(name, input)
      const key = `${input.KeyConditionExpression}|${input.ExpressionAttributeValues?.[pkPlaceholder(input) ?? '']?.S}`
      const last = this.#lastQuery.get(key)
      const fresh = design.batchMs > 0 && last !== undefined && this.#o.sim.now() - last.at < design.batchMs
      if (fresh) return { Items: last.items, Count: last.items.length }
      const items = await this.#windowQuery(input)
      if (design.batchMs > 0) this.#lastQuery.set(key, { at: this.#o.sim.now(), items })
      return { Items: items, Count: items.length }
    }
    if (name === 'GetItemCommand' || name === 'PutItemCommand') return this.#wire(name, command.input)
    throw new Error(`scale model: the fake DynamoDB client does not send ${name}`)
  }

  destroy(): void { /* nothing to close */ }

  #sharded(input: UpdateItemCommandInput): UpdateItemCommandInput {
    const { shards } = this.#o.design
    if (shards <= 1) return input
    const Key = { ...input.Key, pk: { S: `${pkOf(input.Key)}#${this.#o.container % shards}` } }
    return { ...input, Key }
  }

  async #windowQuery(input: QueryCommandInput): Promise<Item[]> {
    const { shards } = this.#o.design
    const placeholder = pkPlaceholder(input)
    const pk = placeholder === undefined ? undefined : input.ExpressionAttributeValues?.[placeholder]?.S
    if (shards <= 1 || placeholder === undefined || pk === undefined) {
      return ((await this.#wire('QueryCommand', input)) as { Items: Item[] }).Items
    }
    const pages = await Promise.all(Array.from({ length: shards }, (_, s) => this.#wire('QueryCommand', {
      ...input, ExpressionAttributeValues: { ...input.ExpressionAttributeValues, [placeholder]: { S: `${pk}#${s}` } },
    })))
    return pages.flatMap((page) => (page as { Items: Item[] }).Items)
  }

  /** Adds the update to this container's pending one for the item; the flush sends them. Answers at once. */
  #coalesce(input: UpdateItemCommandInput): Record<string, never> {
    const id = `${pkOf(input.Key)}|${input.UpdateExpression}`
    this.#pending.set(id, merge(this.#pending.get(id), input))
    if (this.#flushAt === undefined) {
      this.#flushAt = this.#o.sim.now() + this.#o.design.batchMs
      void this.#o.sim.sleep(this.#o.design.batchMs).then(() => this.#flush())
    }
    return {}
  }

  /**
   * Sends the pending counts, each item's into the bucket of the flush's second (as the store flushes its pending
   * successes): counts held over a bucket boundary would otherwise still cost a write per bucket they came from.
   */
  async #flush(): Promise<void> {
    this.#flushAt = undefined
    const bucket = { S: bucketSk(bucketStart(this.#o.sim.now())) }
    const merged = new Map<string, UpdateItemCommandInput>()
    for (const input of this.#pending.values()) {
      const id = `${pkOf(input.Key)}|${input.UpdateExpression}`
      merged.set(id, merge(merged.get(id), { ...input, Key: { ...input.Key, sk: bucket } }))
    }
    const batch = [...merged.values()]
    this.#pending.clear()
    // A flush that fails loses its counts, as a store's would after its retries (they are only a rate's inputs).
    await Promise.all(batch.map((input) => this.#wire('UpdateItemCommand', input).catch(() => undefined)))
  }

  /** One request as the store's client sends it: a round trip, and one retry after a throttle if the budget allows. */
  async #wire(name: string, input: unknown): Promise<unknown> {
    const { sim, table, latencyMs, random } = this.#o
    const began = sim.now()
    for (let attempt = 1; ; attempt++) {
      // 0: answered at once, without the scheduler (the model's agreement test drives it on a plain clock).
      if (latencyMs > 0) await sim.sleep(latencyMs)
      try {
        if (name === 'GetItemCommand') return table.getItem(input as never)
        if (name === 'PutItemCommand') return table.putItem(input as never)
        if (name === 'UpdateItemCommand') return table.updateItem(input as never)
        return table.query(input as never)
      } catch (error) {
        if (!(error instanceof DynamoDBServiceException)) table.unanswerable.push(error as Error)
        const throttled = (error as Error).name === 'ProvisionedThroughputExceededException'
        const wait = Math.floor(random() * THROTTLE_BACKOFF_MS)
        if (!throttled || attempt >= MAX_ATTEMPTS || sim.now() + wait + latencyMs - began > BUDGET_MS) throw error
        await sim.sleep(wait)
      }
    }
  }
}
