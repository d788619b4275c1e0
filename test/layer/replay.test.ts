/**
 * Every events/ fixture replays through local invoke (layer/invoke.ts: the `sam local invoke` of this repository) with
 * the status code or batch response its event source expects, against the fake Bedrock and DynamoDB Local.
 *
 * The functions are template.yaml's example functions, found by their event sources (HttpApi → the chat function,
 * SQS → the worker). A template without them falls back to a stand-in template written to a temporary directory:
 * the sample chat handler behind a stand-in layer that carries only `breakwater`. The same stand-in checks the
 * harness itself: layer resolution, timeout and countdown, errors, environment.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { jest } from '@jest/globals'
import { ScanCommand } from '@aws-sdk/client-dynamodb'
import { invokeFunction, type InvokeOptions, type InvokeResult } from '../../tools/local-invoke/invoke.js'
import { main } from '../../tools/local-invoke/invoke-cli.js'
import { isObject, readTemplate } from '../../tools/local-invoke/invoke-template.js'
import type { Json } from '../../tools/local-invoke/cfn-yaml.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const FIXTURES = readdirSync(join(ROOT, 'events')).filter((f) => f.endsWith('.json')).sort()

type Expected = { readonly statusCode: number } | { readonly ok: true } | { readonly batchItemFailures: readonly unknown[] }
const EXPECTED: Record<string, Expected> = {
  'alb.json': { statusCode: 200 },
  'apigw-http.json': { statusCode: 200 },
  'apigw-rest.json': { statusCode: 200 },
  'function-url.json': { statusCode: 200 },
  'direct.json': { ok: true },
  'sqs-batch.json': { batchItemFailures: [] },
  'apigw-http-missing-body.json': { statusCode: 400 },
  'apigw-http-invalid-json.json': { statusCode: 400 },
  'apigw-http-oversize-prompt.json': { statusCode: 413 },
}

/** The stand-in: the sample handler as a function, a layer with only `breakwater` in it, and harness probes. */
function writeStandIn(dir: string): void {
  const file = (path: string, text: string): void => {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  file('package.json', '{ "type": "module" }\n')
  file('layer/nodejs/node_modules/breakwater/package.json', '{ "name": "breakwater", "type": "module", "exports": "./index.js" }\n')
  file('layer/nodejs/node_modules/breakwater/index.js', `export * from ${JSON.stringify(join(ROOT, 'src/index.ts'))}\n`)
  file('fn/chat.ts', [
    "import { breakwater } from 'breakwater'",
    `import { createHandler } from ${JSON.stringify(join(ROOT, 'examples/chat/chat-handler.ts'))}`,
    `import { ROUTES } from ${JSON.stringify(join(ROOT, 'tools/fake-bedrock/scenarios.ts'))}`,
    "if (typeof breakwater !== 'function') throw new Error('breakwater did not come from the layer')",
    'export const handler = createHandler({ routes: ROUTES, breaker: { tableName: process.env.BREAKER_TABLE } })',
  ].join('\n'))
  file('fn/probe.ts', [
    "import type { Context } from 'aws-lambda'",
    'const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))',
    'export const env = async () => Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(GLOBAL_|OWN_|BREAKER_|AWS_LAMBDA_FUNCTION_MEMORY|AWS_ENDPOINT_URL_|LAMBDA_TASK_ROOT|PATH_HINT)/.test(k)))',
    'export const clock = async (_e: unknown, context: Context) => { const first = context.getRemainingTimeInMillis(); await sleep(300); return { first, second: context.getRemainingTimeInMillis() } }',
    "export const slow = async (_e: unknown, context: Context) => { console.log('remaining', context.getRemainingTimeInMillis()); await sleep(5_000); return 'too late' }",
    "export const fails = async () => { console.log('about to fail'); throw new TypeError('the handler threw') }",
  ].join('\n'))
  file('fn/middy.ts', "import middy from '@middy/core'\nexport const handler = middy(async () => 'unreachable')\n")
  const probe = (id: string, handler: string, extra = ''): string =>
    `  ${id}:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn/\n      Handler: ${handler}\n      Layers: [!Ref StandInLayer]\n${extra}`
  file('template.yaml', `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: { Type: String, Default: dev }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Runtime: nodejs22.x
    Timeout: 6
    MemorySize: 512
    Environment:
      Variables:
        BREAKER_TABLE: !Ref BreakerTable
        GLOBAL_ONLY: from-globals
        OWN_OVERRIDES: from-globals
Resources:
  StandInLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: { ContentUri: layer/ }
  BreakerTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{ AttributeName: pk, AttributeType: S }, { AttributeName: sk, AttributeType: S }]
      KeySchema: [{ AttributeName: pk, KeyType: HASH }, { AttributeName: sk, KeyType: RANGE }]
${probe('ChatFunction', 'chat.handler')}
${probe('EnvProbe', 'probe.env', `      MemorySize: 256
      Environment:
        Variables:
          OWN_OVERRIDES: from-function
          OWN_SUB: !Sub '\${AWS::Region}/\${Stage}/\${BreakerTable.Arn}'
          OWN_IF: !If [IsProd, prod, not-prod]
`)}
${probe('ClockProbe', 'probe.clock', '      Timeout: 2\n')}
${probe('SlowProbe', 'probe.slow', '      Timeout: 1\n')}
${probe('FailingProbe', 'probe.fails')}
${probe('MiddyFromFunction', 'middy.handler')}
`)
}

/** The template's example functions by event source, when template.yaml has them. */
function exampleFunctions(): { http: string; sqs: string } | undefined {
  const resources = readTemplate(join(ROOT, 'template.yaml')).body.Resources as Record<string, Json>
  const withEvent = (type: string): string | undefined => Object.entries(resources).find(([, r]) =>
    isObject(r) && r.Type === 'AWS::Serverless::Function' && isObject(r.Properties) && isObject(r.Properties.Events) &&
    Object.values(r.Properties.Events).some((e) => isObject(e) && e.Type === type))?.[0]
  const http = withEvent('HttpApi')
  const sqs = withEvent('SQS')
  return http && sqs ? { http, sqs } : undefined
}

const standInDir = mkdtempSync(join(tmpdir(), 'breakwater-invoke-'))
writeStandIn(standInDir)
const standIn = join(standInDir, 'template.yaml')
const examples = exampleFunctions()
const replayTemplate = examples ? undefined : standIn
const functionFor = (fixture: string): string => (examples ? (fixture.startsWith('sqs') ? examples.sqs : examples.http) : 'ChatFunction')

afterAll(() => rmSync(standInDir, { recursive: true, force: true }))

const invoke = (options: Omit<InvokeOptions, 'template'> & { template?: string }): Promise<InvokeResult> =>
  invokeFunction({ template: standIn, ...options })

/** Runs the tasks at most `limit` at a time (each invoke is a child process). */
async function pool<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await (tasks[i] as () => Promise<T>)()
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker))
  return results
}

const replayedBy = examples
  ? `template.yaml: ${examples.http}, ${examples.sqs}`
  : 'stand-in template: template.yaml has no example functions yet'

describe(`every events/ fixture replays through local invoke (${replayedBy})`, () => {
  const results = new Map<string, InvokeResult>()

  beforeAll(async () => {
    const replay = (fixture: string) => async () => {
      results.set(fixture, await invokeFunction({ functionId: functionFor(fixture), event: `events/${fixture}`, template: replayTemplate }))
    }
    // The first alone: it builds the layer / functions if they are missing; the rest two at a time.
    const [first, ...rest] = FIXTURES
    if (first) await replay(first)()
    await pool(rest.map(replay), 2)
  }, 180_000)

  it('has an expectation for every fixture', () => {
    expect(FIXTURES.filter((f) => !(f in EXPECTED))).toEqual([])
  })

  it.each(Object.keys(EXPECTED))('%s', (fixture) => {
    const result = results.get(fixture)
    expect(result?.error).toBeUndefined()
    expect(result?.response).toMatchObject(EXPECTED[fixture] as object)
  })

  it('calls Bedrock for the good requests only, and a 413 only after Bedrock said the input is too long', () => {
    expect(results.get('apigw-http-missing-body.json')?.bedrockCalls).toBe(0)
    expect(results.get('apigw-http-invalid-json.json')?.bedrockCalls).toBe(0)
    expect(results.get('apigw-http.json')?.bedrockCalls).toBe(1)
    expect(results.get('sqs-batch.json')?.bedrockCalls).toBe(3)
    expect(results.get('apigw-http-oversize-prompt.json')?.bedrockCalls).toBeGreaterThan(0)
  })
})

describe('local invoke under a fault scenario', () => {
  it('regional-outage: the chat is served from the second region, and the breaker state lands in the DynamoDB table', async () => {
    let stateItems = 0
    const result = await invokeFunction({
      functionId: functionFor('apigw-http.json'), event: 'events/apigw-http.json', scenario: 'regional-outage', template: replayTemplate,
      afterInvoke: async ({ dynamodb }) => {
        const scan = await dynamodb.client().send(new ScanCommand({ TableName: 'BreakerTable' }))
        stateItems = scan.Count ?? 0
      },
    })
    expect(result.response).toMatchObject({ statusCode: 200 })
    expect(JSON.parse((result.response as { body: string }).body)).toMatchObject({ region: 'us-west-2', degraded: expect.anything() })
    expect(stateItems).toBeGreaterThan(0)
  })

  it('throttling: the faults reach the function\'s own primary model, and it is served by a fallback', async () => {
    const result = await invokeFunction({
      functionId: functionFor('apigw-http.json'), event: 'events/apigw-http.json', scenario: 'throttling', template: replayTemplate,
    })
    expect(result.response).toMatchObject({ statusCode: 200 })
    expect(JSON.parse((result.response as { body: string }).body)).toMatchObject({ degraded: 'fallback-target' })
    expect(result.bedrockCalls).toBeGreaterThan(1)
  })

  it('all-down: a polite 503, not a Lambda error', async () => {
    const result = await invokeFunction({
      functionId: functionFor('apigw-http.json'), event: 'events/apigw-http.json', scenario: 'all-down', template: replayTemplate,
    })
    expect(result.error).toBeUndefined()
    expect(result.response).toMatchObject({ statusCode: 503 })
  })
})

describe('the streaming chat function of template.yaml, through local invoke', () => {
  it('runs as a streamified handler: a request without a body is a streamed 400 prelude and JSON body, no Bedrock call', async () => {
    const result = await invokeFunction({ functionId: 'ChatStreamFunction', event: 'events/apigw-http-missing-body.json' })
    expect(result.error).toBeUndefined()
    expect(result.stream?.contentType).toBe('application/vnd.awslambda.http-integration-response')
    expect(result.response).toMatchObject({ statusCode: 400, headers: { 'content-type': 'application/json' } })
    expect(JSON.parse((result.response as { body: string }).body)).toMatchObject({ message: expect.stringContaining('no body') })
    expect(result.bedrockCalls).toBe(0)
  })

  it.each([
    ['healthy', 'us-east-1'],
    ['regional-outage', 'us-west-2'],
  ])('streams a whole answer as server-sent events against the fake Bedrock (%s): tokens, then done from %s', async (scenario, region) => {
    const result = await invokeFunction({ functionId: 'ChatStreamFunction', event: 'events/function-url.json', scenario })
    expect(result.error).toBeUndefined()
    expect(result.stream?.prelude).toMatchObject({ statusCode: 200 })
    const body = result.stream?.body ?? ''
    expect(body).toMatch(/^event: token$/m)
    const done = /^event: done\ndata: (.+)$/m.exec(body)?.[1]
    expect(JSON.parse(done ?? 'null')).toMatchObject({ stopReason: 'end_turn', served: { region } })
    expect(result.stream?.chunks.length).toBeGreaterThan(2)
  })

  it('every target down before the first token: the usual 503 with Retry-After, streamed', async () => {
    const result = await invokeFunction({ functionId: 'ChatStreamFunction', event: 'events/function-url.json', scenario: 'all-down' })
    expect(result.error).toBeUndefined()
    expect(result.response).toMatchObject({ statusCode: 503, headers: { 'retry-after': expect.any(String) } })
  })
})

describe('the local invoke harness (stand-in template)', () => {
  it('merges Globals and function environment, resolves intrinsics, points the SDK at the local endpoints', async () => {
    const { response } = await invoke({ functionId: 'EnvProbe', event: { payload: {} } })
    expect(response).toMatchObject({
      BREAKER_TABLE: 'BreakerTable', GLOBAL_ONLY: 'from-globals', OWN_OVERRIDES: 'from-function',
      OWN_SUB: 'us-east-1/dev/arn:aws:dynamodb:us-east-1:123456789012:table/BreakerTable', OWN_IF: 'not-prod',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256', LAMBDA_TASK_ROOT: join(standInDir, 'fn'),
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_ENDPOINT_URL_DYNAMODB: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    })
  })

  it('gives getRemainingTimeInMillis a real countdown from the template Timeout', async () => {
    const { response } = await invoke({ functionId: 'ClockProbe', event: { payload: {} } })
    const { first, second } = response as { first: number; second: number }
    expect(first).toBeLessThanOrEqual(2_000)
    expect(first).toBeGreaterThan(1_500)
    expect(first - second).toBeGreaterThanOrEqual(250)
  })

  it('stops a handler at the template Timeout, as Lambda does', async () => {
    const result = await invoke({ functionId: 'SlowProbe', event: { payload: {} } })
    expect(result.error).toMatchObject({ errorType: 'TimeoutError', errorMessage: 'Task timed out after 1.00 seconds', phase: 'invoke' })
    expect(result.logs.join('\n')).toMatch(/remaining \d+/)
  })

  it('reports a handler that throws, with its logs', async () => {
    const result = await invoke({ functionId: 'FailingProbe', event: { payload: {} } })
    expect(result.error).toMatchObject({ errorType: 'TypeError', errorMessage: 'the handler threw', phase: 'invoke' })
    expect(result.logs).toContain('about to fail')
  })

  it('the CLI prints the response on stdout, logs and the REPORT line on stderr, and exits 1 when the handler threw', async () => {
    const out: string[] = []
    const err: string[] = []
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0)
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0)
    try {
      expect(await main(['FailingProbe', 'events/direct.json', '--template', standIn])).toBe(1)
      expect(await main(['EnvProbe', 'events/direct.json', '--template', standIn])).toBe(0)
      expect(await main(['EnvProbe'])).toBe(2)
    } finally {
      stdout.mockRestore()
      stderr.mockRestore()
    }
    expect(JSON.parse(out[0] ?? '')).toMatchObject({ errorType: 'TypeError', errorMessage: 'the handler threw' })
    expect(JSON.parse(out[1] ?? '')).toMatchObject({ GLOBAL_ONLY: 'from-globals' })
    expect(err.join('')).toMatch(/about to fail\nREPORT RequestId: [0-9a-f-]+\tDuration: [\d.]+ ms\t.*Memory Size: 512 MB\t.*Init Duration/)
    expect(err.join('')).toContain('usage: npm run invoke')
  })

  it('resolves bare imports from the layer only: a package the layer lacks fails at init, as in Lambda', async () => {
    const result = await invoke({ functionId: 'MiddyFromFunction', event: { payload: {} } })
    expect(result.error).toMatchObject({ phase: 'init', errorMessage: expect.stringContaining("Cannot find package '@middy/core'") })
    expect(result.error?.errorMessage).toContain(join(standInDir, 'layer', 'nodejs', 'node_modules'))
  })
})
