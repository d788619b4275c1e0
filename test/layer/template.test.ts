/**
 * template.yaml against the code: handlers that exist once built, each function given every environment variable its
 * code reads (and, beyond Globals, no other), no `*` resource on Bedrock or DynamoDB actions, the breaker table
 * shaped the way the store writes it, the metrics the alarms and the dashboard watch being the ones Breakwater
 * emits. Who may call and how much: template-access.test.ts; the queue path: template-queue.test.ts.
 *
 * The example functions are built for real (`buildExamples`, the code of `npm run build:examples`) into a temporary
 * directory, so the check does not depend on, or disturb, a build in layer/functions/.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { buildExamples, CHAT_CODE_DIR } from '../../layer/build-examples.js'
import { EXAMPLE_ENV, QUEUE_ENV } from '../../examples/functions/config.js'
import { STATE_SK, TTL_ATTRIBUTE, stateKey } from '../../src/aws/dynamodb/items.js'
import { METRIC } from '../../src/aws/observability.js'
import { asArray, isObject, type Json, type JsonObject } from '../../tools/local-invoke/cfn-yaml.js'
import {
  effective, envVarsReadBy, functions, GLOBAL_VARIABLES, handlerModules, LAMBDA_PROVIDED, ofType, ownVariables,
  packagesImportedBy, props, resources, ROOT, sourceFiles, template,
} from './template-support.js'

describe('template.yaml: the example functions', () => {
  let built: string
  beforeAll(() => {
    built = mkdtempSync(join(tmpdir(), 'breakwater-template-test-'))
    buildExamples(built)
  }, 120_000)
  afterAll(() => rmSync(built, { recursive: true, force: true }))

  it('has the chat function, the streaming chat, the SQS worker, the queue path\'s three and the Step Functions task', () => {
    expect(functions.map(([id]) => id).sort()).toEqual([
      'ChatFunction', 'ChatStreamFunction', 'ChatWorkerFunction', 'ModelTaskFunction', 'QueueRequestFunction', 'QueueWorkerFunction',
      'RequestStatusFunction',
    ])
  })

  it('the streaming chat: a Middy handler in executionModeStreamifyResponse behind an IAM function URL in RESPONSE_STREAM', () => {
    const stream = props(resources.ChatStreamFunction as JsonObject)
    expect(stream.FunctionUrlConfig).toEqual({ AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' })
    const [, modulePath] = /^(.+)\.[\w$]+$/.exec(String(stream.Handler)) ?? []
    const code = readFileSync(join(built, `${modulePath}.js`), 'utf8')
    const sample = readFileSync(join(built, 'examples', 'chat', 'chat-stream-handler.js'), 'utf8')
    expect(code).toMatch(/from '\.\.\/chat\/chat-stream-handler\.js'/)
    expect(sample).toMatch(/from '@middy\/core\/StreamifyResponse'/)
    expect(sample).toMatch(/executionMode: executionModeStreamifyResponse/)
    // The other functions stay buffered: their URL (if any) keeps the default invoke mode.
    for (const [id, fn] of functions.filter(([id]) => id !== 'ChatStreamFunction')) {
      expect([id, (props(fn).FunctionUrlConfig as JsonObject | undefined)?.InvokeMode]).toEqual([id, undefined])
    }
  })

  it.each(functions)('%s: CodeUri is the examples build and Handler names an exported function of a built file', (_id, fn) => {
    const { CodeUri, Handler } = effective(fn)
    expect(CodeUri).toBe(`${relative(ROOT, CHAT_CODE_DIR)}/`)
    const [, modulePath, exportName] = /^(.+)\.([A-Za-z_$][\w$]*)$/.exec(String(Handler)) ?? []
    const file = join(built, `${modulePath}.js`)
    expect(existsSync(file)).toBe(true)
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`export (const|function|async function) ${exportName}\\b`))
    expect(JSON.parse(readFileSync(join(built, 'package.json'), 'utf8')).type).toBe('module')
  })

  it.each(functions)('%s: runs on nodejs22.x, arm64, with active tracing and the Breakwater layer', (_id, fn) => {
    const f = effective(fn)
    expect(f.Runtime).toBe('nodejs22.x')
    expect(f.Architectures).toEqual(['arm64'])
    expect(f.Tracing).toBe('Active')
    expect(f.Layers).toEqual([{ Ref: 'BreakwaterLayer' }])
  })

  /** What the function's code reads: src/ (the layer's breakwater) and the examples/ modules its handler loads. */
  const readBy = (fn: JsonObject): Set<string> => {
    const modules = handlerModules(fn)
    const read = envVarsReadBy([...sourceFiles('src'), ...modules])
    // Logger() and Metrics() without options read these.
    const powertools = packagesImportedBy(modules)
    if (powertools.has('@aws-lambda-powertools/logger')) read.add('POWERTOOLS_SERVICE_NAME')
    if (powertools.has('@aws-lambda-powertools/metrics')) read.add('POWERTOOLS_METRICS_NAMESPACE')
    return read
  }

  it.each(functions)('%s: sets every environment variable the code reads', (_id, fn) => {
    const set = Object.keys((effective(fn).Environment as { Variables: JsonObject }).Variables)
    const missing = [...readBy(fn)].filter((name) => !LAMBDA_PROVIDED.test(name) && !set.includes(name))
    expect(missing).toEqual([])
  })

  it.each(functions)('%s: sets beyond Globals only variables its code reads', (_id, fn) => {
    const read = readBy(fn)
    expect(ownVariables(fn).filter((name) => !read.has(name))).toEqual([])
  })

  it('the scan finds every variable the examples declare; the queue path\'s are not in Globals', () => {
    const read = new Set(functions.flatMap(([, fn]) => [...readBy(fn)]))
    expect([...EXAMPLE_ENV, ...QUEUE_ENV].filter((name) => !read.has(name))).toEqual([])
    expect(GLOBAL_VARIABLES).toEqual(expect.arrayContaining([...EXAMPLE_ENV]))
    expect(GLOBAL_VARIABLES.filter((name) => (QUEUE_ENV as readonly string[]).includes(name))).toEqual([])
  })

  it('the SQS worker reports partial batch failures and its queue has a dead-letter queue', () => {
    const worker = effective(resources.ChatWorkerFunction as JsonObject)
    const sqs = Object.values(worker.Events as JsonObject).find((e) => isObject(e) && e.Type === 'SQS') as JsonObject
    expect(props(sqs).FunctionResponseTypes).toEqual(['ReportBatchItemFailures'])
    const queue = props(resources.ChatQueue as JsonObject)
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['ChatDeadLetterQueue', 'Arn'] }, maxReceiveCount: 3 })
    expect(Number(queue.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * Number(worker.Timeout))
  })
})

describe('template.yaml: least privilege', () => {
  /** Every IAM statement in the template: managed and inline policies, and SAM functions' inline statements. */
  const statements: JsonObject[] = Object.values(resources).flatMap((r) => {
    if (!isObject(r)) return []
    const p = props(r)
    const policyDocument = (x: Json): Json => (isObject(x) && 'Statement' in x ? x : isObject(x) ? (x.PolicyDocument ?? null) : null)
    const docs: Json[] = [p.PolicyDocument ?? null, ...asArray(p.Policies).map(policyDocument)]
    return docs.filter(isObject).flatMap((d) => asArray(d.Statement)).filter(isObject)
  })
  const touching = (service: string): JsonObject[] =>
    statements.filter((s) => asArray(s.Action).some((a) => a === '*' || String(a).startsWith(`${service}:`)))
  const resourceStrings = (s: JsonObject): string[] =>
    asArray(s.Resource).map((r) => (isObject(r) && 'Fn::Sub' in r ? String(r['Fn::Sub']) : JSON.stringify(r)))

  it.each(['bedrock', 'dynamodb'])('no %s action has a "*" resource or a wildcard action', (service) => {
    const found = touching(service)
    expect(found.length).toBeGreaterThan(0)
    for (const s of found) {
      expect(s.Effect).toBe('Allow')
      for (const action of asArray(s.Action)) expect(String(action)).not.toMatch(/\*/)
      expect(asArray(s.Resource).length).toBeGreaterThan(0)
      for (const r of resourceStrings(s)) expect(r).not.toMatch(/^"?\*"?$|[:/]\*"?$/)
    }
  })

  it('Bedrock: InvokeModel or InvokeModelWithResponseStream only, on the profiles and models the parameters name', () => {
    const parameters = Object.keys(template.Parameters as JsonObject)
    for (const s of touching('bedrock')) {
      expect(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']).toContain(s.Action)
      for (const arn of resourceStrings(s)) {
        const [, kind, param] = /:(inference-profile|foundation-model)\/\$\{(\w+)\}$/.exec(arn) ?? []
        expect([kind, parameters.includes(param ?? '')]).toEqual([expect.stringMatching(/inference-profile|foundation-model/), true])
      }
    }
  })

  it('streaming is allowed on exactly the resources InvokeModel is, and only the streaming function has it', () => {
    const policyOf = (id: string): JsonObject[] =>
      asArray((props(resources[id] as JsonObject).PolicyDocument as JsonObject).Statement).filter(isObject)
    const stream = policyOf('BedrockStreamPolicy')
    expect(stream.map((st) => st.Action)).toEqual(stream.map(() => 'bedrock:InvokeModelWithResponseStream'))
    expect(stream.map((st) => st.Resource)).toEqual(policyOf('BedrockInvokePolicy').map((st) => st.Resource))
    const holders = functions.filter(([, fn]) => asArray(props(fn).Policies).some((p) => isObject(p) && p.Ref === 'BedrockStreamPolicy'))
    expect(holders.map(([id]) => id)).toEqual(['ChatStreamFunction'])
    expect(asArray(props(resources.ChatStreamFunction as JsonObject).Policies)).not.toContainEqual({ Ref: 'BedrockInvokePolicy' })
  })

  it('DynamoDB: the breaker store\'s four actions, on the breaker table only (the queue tables: template-queue.test.ts)', () => {
    const onBreaker = touching('dynamodb').filter((s) => JSON.stringify(s.Resource).includes('"BreakerTable"'))
    expect(onBreaker).toHaveLength(1)
    expect([...asArray(onBreaker[0]?.Action)].sort())
      .toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'])
    expect(onBreaker[0]?.Resource).toEqual({ 'Fn::GetAtt': ['BreakerTable', 'Arn'] })
  })

  it('functions get permissions only from the template\'s own policies (no AWS managed or SAM policy templates)', () => {
    for (const [, fn] of functions) {
      const own = /^(BedrockInvokePolicy|BedrockStreamPolicy|BreakerTableAccessPolicy|QueueRequestPolicy|QueueWorkerPolicy|RequestStatusPolicy)$/
      for (const p of asArray(props(fn).Policies)) expect(p).toEqual({ Ref: expect.stringMatching(own) })
    }
  })
})

describe('template.yaml: the breaker table matches the store', () => {
  const table = props(resources.BreakerTable as JsonObject)
  const [hash, range] = Object.keys(stateKey('model@region'))

  it('has the store\'s partition and sort keys, both strings', () => {
    expect(stateKey('model@region')[range ?? '']).toEqual({ S: STATE_SK })
    expect(table.KeySchema).toEqual([{ AttributeName: hash, KeyType: 'HASH' }, { AttributeName: range, KeyType: 'RANGE' }])
    expect(table.AttributeDefinitions).toEqual([{ AttributeName: hash, AttributeType: 'S' }, { AttributeName: range, AttributeType: 'S' }])
  })

  it('expires items on the store\'s TTL attribute, on demand and encrypted', () => {
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true })
    expect(table.BillingMode).toBe('PAY_PER_REQUEST')
    expect(table.SSESpecification).toEqual({ SSEEnabled: true })
  })
})

describe('template.yaml: layer, alarms, dashboard, Step Functions example', () => {
  it('the layer: nodejs22.x on arm64 and x86_64, retained, built by layer/Makefile, its ARN exported', () => {
    const layer = resources.BreakwaterLayer as JsonObject
    expect(props(layer)).toMatchObject({
      ContentUri: 'layer/', CompatibleRuntimes: ['nodejs22.x'], CompatibleArchitectures: ['arm64', 'x86_64'], RetentionPolicy: 'Retain',
    })
    expect(layer.Metadata).toEqual({ BuildMethod: 'makefile' })
    expect(readFileSync(join(ROOT, 'layer', 'Makefile'), 'utf8')).toMatch(/^build-BreakwaterLayer:/m)
    const output = (template.Outputs as JsonObject).BreakwaterLayerArn as JsonObject
    expect(output.Value).toEqual({ Ref: 'BreakwaterLayer' })
    expect(output.Export).toEqual({ Name: { 'Fn::Sub': '${AWS::StackName}-BreakwaterLayerArn' } })
  })

  it('alarms watch BreakerOpened and the DegradedResponses share of invocations', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => JSON.stringify(props(a)))
    expect(alarms.some((a) => a.includes(`"MetricName":"${METRIC.breakerOpened}"`))).toBe(true)
    const rate = alarms.find((a) => a.includes(`"MetricName":"${METRIC.degraded}"`))
    expect(rate).toMatch(/"MetricName":"Invocations"/)
    // Every function behind the preset can answer degraded: each one's invocations are in the denominator.
    for (const id of ['ChatFunction', 'ChatWorkerFunction', 'ChatStreamFunction', 'QueueRequestFunction', 'QueueWorkerFunction']) {
      expect(rate).toContain(`{"Ref":"${id}"}`)
    }
    expect(rate).toMatch(/"Expression":"[^"]*degraded[^"]*\/[^"]*"/)
  })

  it('the dashboard shows every metric Breakwater emits', () => {
    const [[, dashboard] = ['', {}]] = ofType('AWS::CloudWatch::Dashboard')
    const sub = (props(dashboard as JsonObject).DashboardBody as JsonObject)['Fn::Sub']
    // Valid JSON once the ${...} references are substituted; rows are [namespace, name, dims..., {options}?].
    const body = JSON.parse(String(sub).replace(/\$\{[^}]+\}/g, 'x')) as { widgets: { properties: { metrics: Json[][] } }[] }
    const shown = body.widgets.flatMap((w) => w.properties.metrics).filter((row) => row[0] !== '...').map((row) => row[1])
    expect(shown).toEqual(expect.arrayContaining(Object.values(METRIC)))
  })

  it('the Step Functions example catches throttling and unavailability into a fallback task, behind a condition', () => {
    const machine = resources.ChatFallbackStateMachine as JsonObject
    expect(machine.Condition).toBe('WithStepFunctionsExample')
    expect((resources.ModelTaskFunction as JsonObject).Condition).toBe('WithStepFunctionsExample')
    const states = (props(machine).Definition as JsonObject).States as JsonObject
    const primary = states[(props(machine).Definition as JsonObject).StartAt as string] as JsonObject
    expect(primary.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['ThrottlingException', 'ServiceUnavailableException'], Next: 'FallbackModel' }),
    ])
    expect(states.FallbackModel).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke' })
  })
})

describe('layer/build-examples', () => {
  it('is reproducible: two builds give the same files', () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'breakwater-a-')), mkdtempSync(join(tmpdir(), 'breakwater-b-'))]
    try {
      const [a, b] = dirs.map((d) => buildExamples(d))
      expect(a?.sha256).toBe(b?.sha256)
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true })
    }
  }, 120_000)
})
