/** Jest hooks over tools/dynamodb-local/dynamodb.ts (kept apart: local invoke imports that file outside Jest). */
import { afterAll, beforeAll, beforeEach } from '@jest/globals'
import { startDynamoDB, type TestDynamoDB } from '../../tools/dynamodb-local/dynamodb.js'
import { FakeClock } from './fake-clock.js'

/** What each test of a file sharing one DynamoDB gets: the server, a table of its own, a fresh fake clock. */
export interface TableFixture { readonly db: TestDynamoDB; readonly table: string; readonly clock: FakeClock }

/**
 * Registers the hooks: one DynamoDB per file (a database of its own on the run's DynamoDB Local: dynamodb.ts), and
 * before each test a new table and a FakeClock at `start`.
 */
export function useTable(start: number, assign: (fixture: TableFixture) => void): void {
  let db: TestDynamoDB
  beforeAll(async () => { db = await startDynamoDB() })
  afterAll(async () => { await db.stop() })
  beforeEach(async () => { assign({ db, table: await db.newTable(), clock: new FakeClock(start) }) })
}
