/**
 * DynamoDBBreakerStore's probe changes against aws-sdk-client-mock: the exact UpdateItem of a take and of a pass
 * (conditioned on the episode, the stage and the free slots, not the version), and what a failed condition leads to.
 */
import { describe, expect, it } from '@jest/globals'
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { recordToItem } from '../../../src/aws/dynamodb/items.js'
import { initialRecord, type BreakerRecord, type ProbeChange } from '../../../src/core/breaker/types.js'
import { ddb, KEY, put, store, T0, TABLE, update } from './mocked-store.js'

const permit = (id: string) => ({ id, expiresAt: T0 + 30_000 })
const halfOpen: BreakerRecord = {
  ...initialRecord(), state: 'half-open', version: 4, changedAt: T0, openUntil: T0, opens: 2, stage: 1, stageSuccesses: 1,
  permits: [permit('a')],
}
const stage = { changedAt: T0, opens: 2, stage: 1, stageSize: 5 }
const take: ProbeChange = { ...stage, kind: 'take', permit: permit('b') }
const pass: ProbeChange = { ...stage, kind: 'pass', permitId: 'a' }
const failed = (record?: BreakerRecord) => {
  const error = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} })
  if (record) error.Item = recordToItem(KEY, record)
  return error
}
const episode = {
  names: {
    '#state': 'state', '#changedAt': 'changedAt', '#opens': 'opens', '#stage': 'stage', '#version': 'version', '#permits': 'permits',
  },
  values: {
    ':halfOpen': { S: 'half-open' }, ':changedAt': { N: String(T0) }, ':opens': { N: '2' }, ':stage': { N: '1' }, ':one': { N: '1' },
  },
}

describe('compareAndSet with a probe change', () => {
  it('a take is one UpdateItem on its permit\'s map entry, conditioned on a free slot, and answers the record stored', async () => {
    const stored = { ...halfOpen, version: 9, permits: [permit('a'), permit('b'), permit('x')] }
    ddb.on(UpdateItemCommand).resolves({ Attributes: recordToItem(KEY, stored) })
    const s = store()
    const next = { ...halfOpen, version: 5, permits: [permit('a'), permit('b')] }
    expect(await s.compareAndSet(KEY, halfOpen, next, take)).toEqual({ ok: true, record: stored })
    expect(update()).toEqual({
      TableName: TABLE,
      Key: { pk: { S: KEY }, sk: { S: 'state' } },
      UpdateExpression: 'SET #permits.#id = :expiresAt, #version = #version + :one ADD #slots :one',
      ConditionExpression: '#state = :halfOpen AND #changedAt = :changedAt AND #opens = :opens AND #stage = :stage '
        + 'AND #slots < :size AND attribute_not_exists(#permits.#id)',
      ExpressionAttributeNames: { ...episode.names, '#id': 'b', '#slots': 'slotsTaken' },
      ExpressionAttributeValues: { ...episode.values, ':expiresAt': { N: String(T0 + 30_000) }, ':size': { N: '5' } },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    })
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0)
    // The record it answered is cached: the next admission decides on it without a read.
    expect(await s.read(KEY, T0 + 1)).toEqual(stored)
  })

  it('a pass removes the permit and counts the success, unless that completes the stage', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: recordToItem(KEY, { ...halfOpen, version: 5, permits: [], stageSuccesses: 2 }) })
    await store().compareAndSet(KEY, halfOpen, { ...halfOpen, version: 5, permits: [], stageSuccesses: 2 }, pass)
    expect(update()).toMatchObject({
      UpdateExpression: 'REMOVE #permits.#id SET #version = #version + :one ADD #successes :one',
      ConditionExpression: '#state = :halfOpen AND #changedAt = :changedAt AND #opens = :opens AND #stage = :stage '
        + 'AND attribute_exists(#permits.#id) AND #successes < :lastPass',
      ExpressionAttributeNames: { ...episode.names, '#id': 'a', '#successes': 'stageSuccesses' },
      ExpressionAttributeValues: { ...episode.values, ':lastPass': { N: '4' } },
    })
  })

  it('a failed condition answers the record DynamoDB sent back: the breaker decides again on it', async () => {
    const full = { ...halfOpen, version: 8, stageSuccesses: 2, permits: [permit('a'), permit('x'), permit('y')] }
    ddb.on(UpdateItemCommand).rejects(failed(full))
    const s = store()
    expect(await s.compareAndSet(KEY, halfOpen, { ...halfOpen, version: 5 }, take)).toEqual({ ok: false, record: full })
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0)
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0)
  })

  it('where the returned record would take the change, the item predates slotsTaken: it is written by compare-and-set', async () => {
    const old = { ...halfOpen, version: 6 }
    ddb.on(UpdateItemCommand).rejects(failed(old)).on(PutItemCommand).resolves({})
    const s = store()
    const result = await s.compareAndSet(KEY, halfOpen, { ...halfOpen, version: 5 }, take)
    const written = { ...old, version: 7, permits: [permit('a'), permit('b')] }
    expect(result).toEqual({ ok: true, record: written })
    expect(put()).toMatchObject({ ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': { N: '6' } } })
    expect(s.usage).toMatchObject({ updates: 1, puts: 1 })
  })
})
