/**
 * Where an accepted request's outcome lives: one item per request in a DynamoDB table (key `pk` = request id,
 * `sk` = `result`, TTL on `expiresAt`), the answer inline when it is small and in S3 when it is not (a DynamoDB item
 * holds 400 KB at most, and large items cost a write unit per KB on every update).
 *
 * | attribute   | when            | what                                                                  |
 * |-------------|-----------------|-----------------------------------------------------------------------|
 * | status      | always          | `pending`, `done` or `failed`                                         |
 * | acceptedAt  | always          | epoch ms the front queued it                                          |
 * | finishedAt  | done, failed    | epoch ms the worker wrote the outcome                                 |
 * | result      | done, small     | the answer, JSON                                                      |
 * | resultKey   | done, large     | the S3 key of the answer, JSON (server-side encrypted)                |
 * | reason      | failed          | why it can never be served: `bad-request`, `expired`, …               |
 * | expiresAt   | always          | epoch s: DynamoDB's TTL deletes the item (S3's lifecycle rule, the object) |
 *
 * The front writes `pending` only where no item exists, so a worker that finished first is never overwritten; the
 * worker writes the outcome unconditionally (a redelivered message that is served again writes the same answer).
 */
import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue,
} from '@aws-sdk/client-dynamodb'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { methods, number, object, parseOptions, required, string } from '../../core/config/index.js'
import { num, readNum, readStr } from '../dynamodb/attributes.js'

export type RequestStatus = 'pending' | 'done' | 'failed'

export interface RequestOutcome {
  readonly id: string
  readonly status: RequestStatus
  readonly acceptedAt: number
  readonly finishedAt?: number
  /** `done`: the answer the worker stored. */
  readonly result?: unknown
  /** `failed`: why. */
  readonly reason?: string
}

export interface ResultsStoreOptions {
  readonly tableName: string
  /** The bucket large answers go to. Without one, an answer larger than `inlineLimitBytes` is an error. */
  readonly bucketName?: string
  /** Answers up to this size stay in the item, bytes. Default 64 KiB. */
  readonly inlineLimitBytes?: number
  /** How long an outcome is kept, s. Default 86 400 (a day). */
  readonly ttlSeconds?: number
  readonly dynamodb?: DynamoDBClient
  readonly s3?: S3Client
}

const SOURCE = 'breakwater/results-store'

const RESULTS_OPTIONS = object({
  tableName: required(string({ minLength: 3, must: 'must be the name of the results table' }), 'is required: the results table'),
  bucketName: string({ minLength: 3, must: 'must be the name of the results bucket' }),
  inlineLimitBytes: number({ min: 1, max: 350 * 1024, integer: true, unit: 'bytes', why: 'a DynamoDB item holds 400 KB at most' }),
  ttlSeconds: number({ min: 60, max: 365 * 86_400, integer: true, unit: 's' }),
  dynamodb: methods(['send'], { must: 'must be a DynamoDBClient (an object with send())' }),
  s3: methods(['send'], { must: 'must be an S3Client (an object with send())' }),
}, { label: 'a results store', source: SOURCE })

const SK = 'result'
const DEFAULT_INLINE_LIMIT = 64 * 1024
const DEFAULT_TTL_S = 86_400

export class ResultsStore {
  readonly #table: string
  readonly #bucket: string | undefined
  readonly #inlineLimit: number
  readonly #ttlS: number
  readonly #ddb: DynamoDBClient
  readonly #s3: S3Client | undefined

  constructor(options: ResultsStoreOptions) {
    parseOptions(RESULTS_OPTIONS, options ?? {}, SOURCE)
    this.#table = options.tableName
    this.#bucket = options.bucketName
    this.#inlineLimit = options.inlineLimitBytes ?? DEFAULT_INLINE_LIMIT
    this.#ttlS = options.ttlSeconds ?? DEFAULT_TTL_S
    this.#ddb = options.dynamodb ?? new DynamoDBClient({})
    this.#s3 = options.bucketName === undefined ? undefined : options.s3 ?? new S3Client({})
  }

  /** The front accepted `id`: `pending`, unless the worker already wrote its outcome. */
  async accepted(id: string, at: number): Promise<void> {
    try {
      await this.#ddb.send(new PutItemCommand({
        TableName: this.#table,
        Item: { ...this.#key(id), status: { S: 'pending' }, acceptedAt: num(at), expiresAt: num(this.#expiry(at)) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }))
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error
    }
  }

  /** The worker served `id`: the answer, inline or in S3. */
  async done(id: string, acceptedAt: number, result: unknown, now: number): Promise<void> {
    const body = JSON.stringify(result)
    const item: Record<string, AttributeValue> = {
      ...this.#key(id), status: { S: 'done' }, acceptedAt: num(acceptedAt), finishedAt: num(now), expiresAt: num(this.#expiry(now)),
    }
    if (Buffer.byteLength(body) <= this.#inlineLimit) item.result = { S: body }
    else item.resultKey = { S: await this.#putObject(id, body) }
    await this.#ddb.send(new PutItemCommand({ TableName: this.#table, Item: item }))
  }

  /** `id` can never be served: `reason` says why (no user text). */
  async failed(id: string, acceptedAt: number, reason: string, now: number): Promise<void> {
    await this.#ddb.send(new PutItemCommand({
      TableName: this.#table,
      Item: {
        ...this.#key(id), status: { S: 'failed' }, acceptedAt: num(acceptedAt), finishedAt: num(now),
        reason: { S: reason }, expiresAt: num(this.#expiry(now)),
      },
    }))
  }

  /** What `GET /requests/{id}` answers; undefined for an id never accepted (or expired). */
  async get(id: string): Promise<RequestOutcome | undefined> {
    const out = await this.#ddb.send(new GetItemCommand({ TableName: this.#table, Key: this.#key(id), ConsistentRead: true }))
    const item = out.Item
    if (item === undefined) return undefined
    const status = readStr(item.status) as RequestStatus
    const outcome: { -readonly [K in keyof RequestOutcome]: RequestOutcome[K] } = { id, status, acceptedAt: readNum(item.acceptedAt) }
    if (item.finishedAt) outcome.finishedAt = readNum(item.finishedAt)
    if (item.reason) outcome.reason = readStr(item.reason)
    if (item.result) outcome.result = JSON.parse(readStr(item.result)) as unknown
    else if (item.resultKey) outcome.result = JSON.parse(await this.#getObject(readStr(item.resultKey))) as unknown
    return outcome
  }

  async #putObject(id: string, body: string): Promise<string> {
    if (this.#s3 === undefined || this.#bucket === undefined) {
      throw new RangeError(`ResultsStore: the answer is ${Buffer.byteLength(body)} bytes, over inlineLimitBytes, and no bucketName is set`)
    }
    const key = `results/${id}.json`
    await this.#s3.send(new PutObjectCommand({
      Bucket: this.#bucket, Key: key, Body: body, ContentType: 'application/json', ServerSideEncryption: 'AES256',
    }))
    return key
  }

  async #getObject(key: string): Promise<string> {
    const out = await (this.#s3 as S3Client).send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }))
    return (await out.Body?.transformToString('utf8')) ?? 'null'
  }

  #key(id: string): Record<string, AttributeValue> {
    return { pk: { S: id }, sk: { S: SK } }
  }

  #expiry(atMs: number): number {
    return Math.ceil(atMs / 1000) + this.#ttlS
  }
}

