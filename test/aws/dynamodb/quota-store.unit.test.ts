/** DynamoDBQuotaStore against aws-sdk-client-mock: the exact requests a take and a give send, and a take that loses races. */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, ProvisionedThroughputExceededException, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { DynamoDBQuotaStore } from '../../../src/aws/dynamodb/quota-store.js'

const KEY = 'anthropic.claude-3-haiku@us-east-1'
const TABLE = 'breaker-table'
const MINUTE = 28_333_333
const ddb = mockClient(DynamoDBClient)
const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 })
afterAll(() => { ddb.restore(); client.destroy() })
beforeEach(() => { ddb.reset() })

const store = () => new DynamoDBQuotaStore({ tableName: TABLE, client })
const update = (i = 0) => ddb.commandCalls(UpdateItemCommand)[i]?.args[0].input
const lost = (item?: Record<string, { N: string }>) => {
  const error = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} })
  if (item) error.Item = item
  return error
}

describe('DynamoDBQuotaStore', () => {
  it('a take is one ADD conditioned on the minute staying within the limit, in both dimensions', async () => {
    ddb.on(UpdateItemCommand).resolves({})
    const granted = await store().take(KEY, MINUTE, { requests: 5, tokens: 8_000 }, { requests: 100, tokens: 50_000 })
    expect(granted).toEqual({ requests: 5, tokens: 8_000 })
    expect(update()).toEqual({
      TableName: TABLE,
      Key: { pk: { S: KEY }, sk: { S: `q#${MINUTE}` } },
      UpdateExpression: 'ADD #r :r, #t :t SET expiresAt = if_not_exists(expiresAt, :ttl)',
      ConditionExpression: '(attribute_not_exists(#r) OR #r <= :rmax) AND (attribute_not_exists(#t) OR #t <= :tmax)',
      ExpressionAttributeNames: { '#r': 'requests', '#t': 'tokens' },
      ExpressionAttributeValues: {
        ':r': { N: '5' }, ':rmax': { N: '95' }, ':t': { N: '8000' }, ':tmax': { N: '42000' },
        ':ttl': { N: String((MINUTE + 1) * 60 + 300) },
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    })
  })

  it('a dimension without a limit is neither asked nor conditioned', async () => {
    ddb.on(UpdateItemCommand).resolves({})
    expect(await store().take(KEY, MINUTE, { requests: 3, tokens: 0 }, { requests: 10 })).toEqual({ requests: 3, tokens: 0 })
    expect(update()?.UpdateExpression).toBe('ADD #r :r SET expiresAt = if_not_exists(expiresAt, :ttl)')
    expect(update()?.ConditionExpression).toBe('(attribute_not_exists(#r) OR #r <= :rmax)')
  })

  it('a lost race takes what the returned item says is left, without a read', async () => {
    ddb.on(UpdateItemCommand).rejectsOnce(lost({ requests: { N: '97' } })).resolves({})
    expect(await store().take(KEY, MINUTE, { requests: 5, tokens: 0 }, { requests: 100 })).toEqual({ requests: 3, tokens: 0 })
    expect(update(1)?.ExpressionAttributeValues?.[':r']).toEqual({ N: '3' })
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0)
  })

  it('where the endpoint returns no item with the failure, reads it strongly; an empty minute grants nothing more', async () => {
    ddb.on(UpdateItemCommand).rejects(lost())
    ddb.on(GetItemCommand).resolves({ Item: { requests: { N: '100' } } })
    expect(await store().take(KEY, MINUTE, { requests: 5, tokens: 0 }, { requests: 100 })).toEqual({ requests: 0, tokens: 0 })
    expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input.ConsistentRead).toBe(true)
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1)
  })

  it('after 4 lost races in a row the take grants nothing (the book asks again a second later)', async () => {
    ddb.on(UpdateItemCommand).rejects(lost({ requests: { N: '50' } }))
    expect(await store().take(KEY, MINUTE, { requests: 5, tokens: 0 }, { requests: 100 })).toEqual({ requests: 0, tokens: 0 })
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(4)
  })

  it('a give is an ADD of the negative, unconditioned; any other error is the caller’s to handle', async () => {
    ddb.on(UpdateItemCommand).resolves({})
    await store().give(KEY, MINUTE, { requests: 2, tokens: 900 })
    expect(update()).toEqual({
      TableName: TABLE, Key: { pk: { S: KEY }, sk: { S: `q#${MINUTE}` } }, UpdateExpression: 'ADD #r :r, #t :t',
      ExpressionAttributeNames: { '#r': 'requests', '#t': 'tokens' }, ExpressionAttributeValues: { ':r': { N: '-2' }, ':t': { N: '-900' } },
    })
    ddb.reset()
    ddb.on(UpdateItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }))
    await expect(store().take(KEY, MINUTE, { requests: 1, tokens: 0 }, { requests: 10 })).rejects.toThrow('slow down')
  })
})
