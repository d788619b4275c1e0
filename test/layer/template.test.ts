/**
 * template.yaml against the code: handlers that exist once built, every environment variable the code reads set,
 * no `*` resource on Bedrock or DynamoDB actions, the breaker table shaped the way the store writes it, the
 * metrics the alarms and the dashboard watch being the ones Breakwater emits, and no way for a stranger to run up a
 * Bedrock bill (authenticated and throttled entry points, capped concurrency, logs that expire).
 *
 * The example functions are built for real (`buildExamples`, the code of `npm run build:examples`) into a temporary
 * directory, so the check does not depend on, or disturb, a build in layer/functions/.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildExamples, CHAT_CODE_DIR } from '../../layer/build-examples.js'
import { EXAMPLE_ENV } from '../../examples/functions/config.js'
import { STATE_SK, TTL_ATTRIBUTE, stateKey } from '../../src/aws/dynamodb/items.js'
import { METRIC } from '../../src/aws/observability.js'
import { asArray, isObject, loadTemplate, type Json, type JsonObject } from '../../tools/local-invoke/cfn-yaml.js'
import { readTemplate, resolveValue } from '../../tools/local-invoke/invoke-template.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const template = loadTemplate(join(ROOT, 'template.yaml'))
const resources = template.Resources as JsonObject
const globals = ((template.Globals as JsonObject).Function ?? {}) as JsonObject
const ofType = (type: string): [string, JsonObject][] =>
  Object.entries(resources).filter(([, r]) => isObject(r) && r.Type === type) as [string, JsonObject][]
const props = (r: JsonObject): JsonObject => (r.Properties ?? {}) as JsonObject
const functions = ofType('AWS::Serverless::Function')

/** Globals.Function merged under the function's own properties (environment variables merged one level down). */
function effective(fn: JsonObject): JsonObject {
  const own = props(fn)
  const vars = (p: JsonObject): JsonObject => ((p.Environment as JsonObject | undefined)?.Variables ?? {}) as JsonObject
  return { ...globals, ...own, Environment: { Variables: { ...vars(globals), ...vars(own) } } }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, dir, f))
}

/** Variable names read through process.env.X, process.env['X'] or the examples' required(env, 'X'). */
function envVarsReadBy(files: readonly string[]): Set<string> {
  const names = new Set<string>()
  for (const file of files) {
    const code = readFileSync(file, 'utf8')
    for (const m of code.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)|process\.env\[['"]([A-Z][A-Z0-9_]*)['"]\]|required\([^,]+,\s*'([A-Z][A-Z0-9_]*)'\)/g)) {
      names.add(m[1] ?? m[2] ?? m[3] ?? '')
    }
  }
  return names
}

/** Set by Lambda itself in every function. */
const LAMBDA_PROVIDED = /^(AWS_REGION|AWS_DEFAULT_REGION|AWS_LAMBDA_[A-Z_]+|AWS_EXECUTION_ENV|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|_HANDLER|_X_AMZN_TRACE_ID|TZ)$/

describe('template.yaml: the example functions', () => {
  let built: string
  beforeAll(() => {
    built = mkdtempSync(join(tmpdir(), 'breakwater-template-test-'))
    buildExamples(built)
  }, 120_000)
  afterAll(() => rmSync(built, { recursive: true, force: true }))

  it('has the chat function, the streaming chat, the SQS worker and the Step Functions task', () => {
    expect(functions.map(([id]) => id).sort()).toEqual(['ChatFunction', 'ChatStreamFunction', 'ChatWorkerFunction', 'ModelTaskFunction'])
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

  it.each(functions)('%s: sets every environment variable the code reads', (_id, fn) => {
    const read = envVarsReadBy([...sourceFiles('src'), ...sourceFiles('examples')])
    // Logger() and Metrics() without options read these; EXAMPLE_ENV is the examples' own list.
    for (const name of ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', ...EXAMPLE_ENV]) read.add(name)
    const set = Object.keys((effective(fn).Environment as { Variables: JsonObject }).Variables)
    const missing = [...read].filter((name) => !LAMBDA_PROVIDED.test(name) && !set.includes(name))
    expect(missing).toEqual([])
    expect(read.has('BREAKER_TABLE')).toBe(true)
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

  it('DynamoDB: the breaker store\'s four actions, on the breaker table only', () => {
    const dynamo = touching('dynamodb')
    expect(dynamo).toHaveLength(1)
    expect([...asArray(dynamo[0]?.Action)].sort())
      .toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'])
    expect(dynamo[0]?.Resource).toEqual({ 'Fn::GetAtt': ['BreakerTable', 'Arn'] })
  })

  it('functions get permissions only from the template\'s own policies (no AWS managed or SAM policy templates)', () => {
    for (const [, fn] of functions) {
      const own = /^(BedrockInvokePolicy|BedrockStreamPolicy|BreakerTableAccessPolicy)$/
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
    for (const id of ['ChatFunction', 'ChatWorkerFunction', 'ChatStreamFunction']) expect(rate).toContain(`{"Ref":"${id}"}`)
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

describe('template.yaml: who may call, how fast, how many at once, how long logs stay', () => {
  const parameters = template.Parameters as JsonObject
  const parsed = readTemplate(join(ROOT, 'template.yaml'))
  const JWT = { ChatApiAuth: 'JWT', JwtIssuer: 'https://issuer.example.com/pool', JwtAudience: 'client-1,client-2' }
  /** A value with its conditions decided by these parameter values (the others at their defaults). */
  const resolved = (value: Json | undefined, values: Record<string, string> = {}): Json | undefined =>
    resolveValue(parsed, value ?? null, { region: 'us-east-1', accountId: '123456789012', stackName: 'bw', parameters: values })
  const defaultOf = (v: Json | undefined): Json | undefined => (parameters[String((v as JsonObject).Ref)] as JsonObject).Default
  const httpApis = ofType('AWS::Serverless::HttpApi').map(([id]) => id)
  const httpEvents = functions.flatMap(([, fn]) =>
    Object.values((props(fn).Events ?? {}) as JsonObject).filter((e) => isObject(e) && e.Type === 'HttpApi') as JsonObject[])

  it('every HttpApi event names an HttpApi of the template (no implicit API: it would have no auth)', () => {
    expect(httpEvents.length).toBeGreaterThan(0)
    for (const e of httpEvents) expect(httpApis).toContain((props(e).ApiId as JsonObject | undefined)?.Ref)
    expect(parameters.ChatApiAuth).toMatchObject({ Default: 'IAM', AllowedValues: ['IAM', 'JWT'] })
  })

  it.each([['IAM', {}], ['JWT', JWT]] as const)('ChatApiAuth=%s: every route of every HttpApi has that authorizer', (auth, values) => {
    const jwt = {
      type: 'jwt',
      identitySource: '$request.header.Authorization',
      jwtConfiguration: { issuer: JWT.JwtIssuer, audience: ['client-1', 'client-2'] },
    }
    const expected = auth === 'IAM'
      ? { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' }
      : { type: 'oauth2', 'x-amazon-apigateway-authorizer': jwt }
    type OpenApi = { paths: Record<string, Record<string, JsonObject>>; components: { securitySchemes: JsonObject } }
    for (const id of httpApis) {
      const body = resolved(props(resources[id] as JsonObject).DefinitionBody, values) as OpenApi
      for (const e of httpEvents.filter((x) => (props(x).ApiId as JsonObject).Ref === id)) {
        expect(body.paths[String(props(e).Path)]?.[String(props(e).Method).toLowerCase()]).toBeDefined()
      }
      const schemes = Object.values(body.paths).flatMap((path) => Object.values(path))
        .map((route) => asArray(route.security).flatMap((s) => Object.keys(s as JsonObject)))
      expect(schemes.length).toBeGreaterThan(0)
      for (const names of schemes) expect(names.map((n) => body.components.securitySchemes[n])).toEqual([expected])
      expect(Object.keys(body.components.securitySchemes)).toHaveLength(1) // nothing is created for the other choice
    }
  })

  it('ChatApiAuth=JWT without an issuer or an audience is refused by the Rules; IAM needs neither', () => {
    const holds = (values: Record<string, string>): boolean => Object.values(template.Rules as JsonObject).every((rule) => {
      const { RuleCondition: when, Assertions: assertions } = rule as JsonObject
      return (when !== undefined && resolved(when, values) !== true)
        || asArray(assertions).every((a) => resolved((a as JsonObject).Assert, values) === true)
    })
    expect([holds({}), holds(JWT)]).toEqual([true, true])
    expect([holds({ ...JWT, JwtIssuer: '' }), holds({ ...JWT, JwtAudience: '' }), holds({ ...JWT, JwtAudience: 'client-1,' })])
      .toEqual([false, false, false])
    const issuer = new RegExp(String((parameters.JwtIssuer as JsonObject).AllowedPattern))
    expect([issuer.test(''), issuer.test(JWT.JwtIssuer), issuer.test('http://issuer.example.com')]).toEqual([true, true, false])
  })

  it.each(httpApis)('%s: its stage is throttled, 20 burst and 10 per second by default', (id) => {
    const route = props(resources[id] as JsonObject).DefaultRouteSettings as JsonObject
    expect([defaultOf(route.ThrottlingBurstLimit), defaultOf(route.ThrottlingRateLimit)]).toEqual([20, 10])
  })

  const reservedBy: Record<string, string> = {
    ChatFunction: 'ChatReservedConcurrency', ChatWorkerFunction: 'ChatWorkerConcurrency', ModelTaskFunction: 'ChatReservedConcurrency',
    ChatStreamFunction: 'ChatReservedConcurrency',
  }
  it.each(functions)('%s: has reserved concurrency from a parameter', (id, fn) => {
    expect(effective(fn).ReservedConcurrentExecutions).toEqual({ Ref: reservedBy[id] })
    expect(defaultOf(effective(fn).ReservedConcurrentExecutions)).toBeGreaterThan(0)
  })

  it('the SQS worker reserves exactly the concurrency its event source may use', () => {
    const worker = props(resources.ChatWorkerFunction as JsonObject)
    const sqs = Object.values(worker.Events as JsonObject).find((e) => isObject(e) && e.Type === 'SQS') as JsonObject
    expect((props(sqs).ScalingConfig as JsonObject).MaximumConcurrency).toEqual(worker.ReservedConcurrentExecutions)
  })

  it.each(functions)('%s: logs to a log group of its own with a retention, under the same condition', (id, fn) => {
    const ref = String(((effective(fn).LoggingConfig as JsonObject | undefined)?.LogGroup as JsonObject | undefined)?.Ref)
    const group = resources[ref] as JsonObject
    expect([group.Type, group.Condition, resolved(props(group).LogGroupName)])
      .toEqual(['AWS::Logs::LogGroup', fn.Condition, `/aws/lambda/bw-${id}`])
    const days = props(group).RetentionInDays
    expect((parameters[String((days as JsonObject).Ref)] as JsonObject).AllowedValues).toContain(defaultOf(days))
    const sharing = functions.filter(([, f]) => JSON.stringify(effective(f).LoggingConfig) === JSON.stringify({ LogGroup: { Ref: ref } }))
    expect(sharing).toHaveLength(1)
  })

  it('the function URL stays AWS_IAM, and the outputs and exports keep their names', () => {
    for (const [, fn] of functions) {
      expect([undefined, 'AWS_IAM']).toContain((props(fn).FunctionUrlConfig as JsonObject | undefined)?.AuthType)
    }
    const outputs = template.Outputs as JsonObject
    const exportedNames = [
      'BreakwaterLayerArn', 'BreakerTableName', 'BreakerTableArn', 'BreakerTableAccessPolicyArn', 'BedrockInvokePolicyArn',
      'BedrockStreamPolicyArn',
    ]
    expect(Object.keys(outputs)).toEqual([...exportedNames, 'ChatApiUrl', 'ChatFunctionUrl', 'ChatStreamFunctionUrl', 'ChatQueueUrl',
      'ChatDeadLetterQueueUrl', 'DashboardName', 'ChatFallbackStateMachineArn'])
    expect((outputs.ChatStreamFunctionUrl as JsonObject).Value).toEqual({ 'Fn::GetAtt': ['ChatStreamFunctionUrl', 'FunctionUrl'] })
    const exported = Object.entries(outputs).filter(([, o]) => isObject((o as JsonObject).Export))
      .map(([name, o]) => [name, ((o as JsonObject).Export as JsonObject).Name])
    expect(exported.map(([name]) => name)).toEqual(exportedNames)
    expect(exported).toEqual(exported.map(([name]) => [name, { 'Fn::Sub': `\${AWS::StackName}-${String(name)}` }]))
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
