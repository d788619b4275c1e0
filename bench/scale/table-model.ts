/**
 * An in-process DynamoDB table for the scale model: items by partition key and sort key, GetItem / PutItem /
 * UpdateItem / Query with their expressions (`expressions.ts`), and DynamoDB's capacity arithmetic on a simulated
 * clock — write units (1 per KB of the larger of the item before and after, a failed condition included), read
 * units (per 4 KB, half for an eventually consistent read; a Query sums the items it reads), counted per partition
 * key per second. Past `wcuPerPartition` write units or `rcuPerPartition` read units in one second on one
 * partition key, a request is refused with ProvisionedThroughputExceededException, as DynamoDB refuses a hot
 * partition whatever the table's mode (1,000 WCU and 3,000 RCU per partition). One partition key is modelled as one
 * partition: the items of a key (the state item and its window items) share its throughput, and keys are assumed
 * spread over partitions (DynamoDB hashes them; a table splits a partition as its load grows).
 * Throttled requests are not billed.
 */
import {
  ConditionalCheckFailedException, ProvisionedThroughputExceededException, type AttributeValue, type GetItemCommandInput,
  type PutItemCommandInput, type QueryCommandInput, type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb'
import { applyUpdate, evaluateCondition, type Item } from './expressions.js'

export interface TableLimits { readonly wcuPerPartition: number; readonly rcuPerPartition: number }
export const PARTITION_LIMITS: TableLimits = { wcuPerPartition: 1_000, rcuPerPartition: 3_000 }

/** One partition key's consumption in one second. */
interface Second { wcu: number; rcu: number }

export interface TableTotals {
  requests: number
  reads: number
  writes: number
  /** Billed units (on-demand request units): throttled requests are not billed. */
  wru: number
  rru: number
  throttledReads: number
  throttledWrites: number
  conditionFailures: number
}

const KEY_NAMES = ['pk', 'sk'] as const

/** A deep copy of attribute values (structuredClone's generality costs most of a large run's time). */
function copyValue(v: AttributeValue): AttributeValue {
  if ('L' in v && v.L !== undefined) return { L: v.L.map(copyValue) }
  if ('M' in v && v.M !== undefined) return { M: copyItem(v.M) }
  return { ...v } as AttributeValue
}
function copyItem(item: Item): Item {
  const out: Item = {}
  for (const k in item) out[k] = copyValue(item[k] as AttributeValue)
  return out
}

function valueSize(v: AttributeValue): number {
  if ('S' in v && v.S !== undefined) return Buffer.byteLength(v.S)
  if ('N' in v && v.N !== undefined) return Math.ceil(v.N.replace(/^-|\./g, '').length / 2) + 1
  if ('L' in v && v.L !== undefined) return 3 + v.L.reduce((n, e) => n + 1 + valueSize(e), 0)
  if ('M' in v && v.M !== undefined) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + Buffer.byteLength(k) + valueSize(e), 0)
  return 1
}
/** DynamoDB's item size: attribute names plus values. */
export const itemSize = (item: Item | undefined): number =>
  item === undefined ? 0 : Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueSize(v), 0)

const keyOf = (key: Item | undefined): [string, string] => {
  const pk = key?.pk && 'S' in key.pk ? key.pk.S : undefined
  const sk = key?.sk && 'S' in key.sk ? key.sk.S : undefined
  if (pk === undefined || sk === undefined) throw new Error('scale model: a key is { pk: S, sk: S }')
  return [pk, sk]
}

export class TableModel {
  readonly totals: TableTotals = {
    requests: 0, reads: 0, writes: 0, wru: 0, rru: 0, throttledReads: 0, throttledWrites: 0, conditionFailures: 0,
  }
  /** Per partition key, per second: what was consumed. Peaks are read from here. */
  readonly seconds = new Map<string, Map<number, Second>>()
  /** Per partition key, per second: write and read units asked for, throttled or not (the demand). */
  readonly demand = new Map<string, Map<number, Second>>()
  /**
   * Requests the model could not answer (an expression or option it does not know). The store would take them
   * for a failing DynamoDB and carry on locally, so the run checks this and stops instead of printing wrong numbers.
   */
  readonly unanswerable: Error[] = []
  readonly #items = new Map<string, Map<string, Item>>()
  readonly #sorted = new Map<string, string[]>()

  constructor(readonly now: () => number, readonly limits: TableLimits = PARTITION_LIMITS) {}

  #second(map: Map<string, Map<number, Second>>, pk: string): Second {
    const s = Math.floor(this.now() / 1000)
    let bySecond = map.get(pk)
    if (!bySecond) map.set(pk, (bySecond = new Map()))
    let entry = bySecond.get(s)
    if (!entry) bySecond.set(s, (entry = { wcu: 0, rcu: 0 }))
    return entry
  }

  /** Takes `units` of the partition's second, or throws the throttling error DynamoDB answers with. */
  #consume(pk: string, kind: 'wcu' | 'rcu', units: number): void {
    this.totals.requests++
    this.#second(this.demand, pk)[kind] += units
    const used = this.#second(this.seconds, pk)
    const limit = kind === 'wcu' ? this.limits.wcuPerPartition : this.limits.rcuPerPartition
    if (used[kind] + units > limit) {
      if (kind === 'wcu') this.totals.throttledWrites++
      else this.totals.throttledReads++
      throw new ProvisionedThroughputExceededException({
        message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: { httpStatusCode: 400 },
        ThrottlingReasons: [{ reason: kind === 'wcu' ? 'TableWriteKeyRangeThroughputExceeded' : 'TableReadKeyRangeThroughputExceeded' }],
      })
    }
    used[kind] += units
    if (kind === 'wcu') { this.totals.writes++; this.totals.wru += units } else { this.totals.reads++; this.totals.rru += units }
  }

  #stored(pk: string, sk: string): Item | undefined { return this.#items.get(pk)?.get(sk) }
  #store(pk: string, sk: string, item: Item): void {
    let partition = this.#items.get(pk)
    if (!partition) this.#items.set(pk, (partition = new Map()))
    if (!partition.has(sk)) this.#sorted.delete(pk)
    partition.set(sk, item)
  }
  /** A partition's items in sort-key order (kept until a new sort key arrives). */
  #inOrder(pk: string): Item[] {
    let sorted = this.#sorted.get(pk)
    if (!sorted) {
      const entries = [...(this.#items.get(pk) ?? new Map<string, Item>()).entries()]
      sorted = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sk]) => sk)
      this.#sorted.set(pk, sorted)
    }
    const partition = this.#items.get(pk)
    return sorted.map((sk) => partition?.get(sk) as Item)
  }

  getItem(input: GetItemCommandInput): { Item?: Item } {
    const [pk, sk] = keyOf(input.Key)
    const item = this.#stored(pk, sk)
    this.#consume(pk, 'rcu', Math.max(1, Math.ceil(itemSize(item) / 4096)) * (input.ConsistentRead ? 1 : 0.5))
    return item ? { Item: copyItem(item) } : {}
  }

  /** A write: its units are the larger of the item before and after, in KB; a failed condition costs them too. */
  #write(pk: string, sk: string, before: Item | undefined, after: Item, input: PutItemCommandInput | UpdateItemCommandInput): void {
    const units = Math.max(1, Math.ceil(Math.max(itemSize(before), itemSize(after)) / 1024))
    this.#consume(pk, 'wcu', units)
    const cond = input.ConditionExpression
    const p = { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues }
    if (cond !== undefined && !evaluateCondition(cond, before ?? {}, p)) {
      this.totals.conditionFailures++
      const failure: ConstructorParameters<typeof ConditionalCheckFailedException>[0] =
        { message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } }
      if (input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && before) failure.Item = copyItem(before)
      throw new ConditionalCheckFailedException(failure)
    }
    this.#store(pk, sk, after)
  }

  putItem(input: PutItemCommandInput): Record<string, never> {
    const [pk, sk] = keyOf(input.Item)
    this.#write(pk, sk, this.#stored(pk, sk), copyItem(input.Item as Item), input)
    return {}
  }

  updateItem(input: UpdateItemCommandInput): { Attributes?: Item } {
    const [pk, sk] = keyOf(input.Key)
    const before = this.#stored(pk, sk)
    const after: Item = copyItem(before ?? (input.Key as Item))
    if (input.UpdateExpression) {
      applyUpdate(input.UpdateExpression, after, { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues })
    }
    for (const k of KEY_NAMES) if (after[k] === undefined) throw new Error('scale model: an update may not remove a key attribute')
    this.#write(pk, sk, before, after, input)
    const rv = input.ReturnValues ?? 'NONE'
    if (rv === 'NONE') return {}
    if (rv === 'ALL_NEW') return { Attributes: copyItem(after) }
    if (rv === 'ALL_OLD') return before ? { Attributes: copyItem(before) } : {}
    throw new Error(`scale model: ReturnValues ${rv} is not modelled`)
  }

  /** A Query of one partition key; its key condition is evaluated on each of the key's items in sort-key order. */
  query(input: QueryCommandInput): { Items: Item[]; Count: number } {
    const text = input.KeyConditionExpression ?? ''
    const p = { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues }
    const eq = /(#?\w+)\s*=\s*(:\w+)/.exec(text)
    const name = eq?.[1]?.startsWith('#') ? p.names?.[eq[1]] : eq?.[1]
    const pk = eq && name === 'pk' ? p.values?.[eq[2] as string]?.S : undefined
    if (pk === undefined) throw new Error(`scale model: a Query's key condition must fix pk: "${text}"`)
    if (input.FilterExpression || input.Limit !== undefined || input.IndexName) {
      throw new Error('scale model: a Query with a filter, a limit or an index is not modelled')
    }
    const items = this.#inOrder(pk).filter((item) => evaluateCondition(text, item, p))
    if (input.ScanIndexForward === false) items.reverse()
    const bytes = items.reduce((n, item) => n + itemSize(item), 0)
    this.#consume(pk, 'rcu', Math.max(1, Math.ceil(bytes / 4096)) * (input.ConsistentRead ? 1 : 0.5))
    return { Items: items.map(copyItem), Count: items.length }
  }
}
