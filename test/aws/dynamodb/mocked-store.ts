/** The store's unit tests share this: a mocked DynamoDB (aws-sdk-client-mock) and accessors for what was sent. */
import { afterAll, beforeEach } from '@jest/globals'
import { DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { DynamoDBBreakerStore, type DynamoDBBreakerStoreOptions } from '../../../src/aws/dynamodb/store.js'
import { FakeClock } from '../../support/fake-clock.js'

export const T0 = 1_700_000_000_300 // 300 ms into a second
export const KEY = 'anthropic.claude-3-haiku@us-east-1'
export const TABLE = 'breaker-table'

export const ddb = mockClient(DynamoDBClient)
const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 })
afterAll(() => { ddb.restore(); client.destroy() })

/** A fresh clock at T0 before each test (the mock's history is reset too). */
export const env = { clock: new FakeClock(T0) }
beforeEach(() => {
  ddb.reset()
  env.clock = new FakeClock(T0)
})

export const store = (o: Partial<DynamoDBBreakerStoreOptions> = {}): DynamoDBBreakerStore =>
  new DynamoDBBreakerStore({ tableName: TABLE, client, clock: env.clock, ...o })
export const calls = (): number => ddb.calls().length
export const put = (i = 0) => ddb.commandCalls(PutItemCommand)[i]?.args[0].input
export const update = (i = 0) => ddb.commandCalls(UpdateItemCommand)[i]?.args[0].input
export const query = (i = 0) => ddb.commandCalls(QueryCommand)[i]?.args[0].input
