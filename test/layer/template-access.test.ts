/**
 * template.yaml's entry points against a stranger running up a Bedrock bill: every HTTP API route behind the chosen
 * authorizer (IAM or JWT, nothing created for the other), stage throttling, reserved concurrency from parameters on
 * every function (the SQS workers' equal to their event source's cap), a log group with a retention per function,
 * function URLs on AWS_IAM, and the outputs and exports under their names.
 */
import { join } from 'node:path'
import { asArray, isObject, type Json, type JsonObject } from '../../tools/local-invoke/cfn-yaml.js'
import { readTemplate, resolveValue } from '../../tools/local-invoke/invoke-template.js'
import { defaultOf, effective, functions, ofType, props, resources, ROOT, template } from './template-support.js'

describe('template.yaml: who may call, how fast, how many at once, how long logs stay', () => {
  const parameters = template.Parameters as JsonObject
  const parsed = readTemplate(join(ROOT, 'template.yaml'))
  const JWT = { ChatApiAuth: 'JWT', JwtIssuer: 'https://issuer.example.com/pool', JwtAudience: 'client-1,client-2' }
  /** A value with its conditions decided by these parameter values (the others at their defaults). */
  const resolved = (value: Json | undefined, values: Record<string, string> = {}): Json | undefined =>
    resolveValue(parsed, value ?? null, { region: 'us-east-1', accountId: '123456789012', stackName: 'bw', parameters: values })
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
    ChatStreamFunction: 'ChatReservedConcurrency', QueueRequestFunction: 'ChatReservedConcurrency',
    QueueWorkerFunction: 'QueueWorkerConcurrency', RequestStatusFunction: 'ChatReservedConcurrency',
  }
  it.each(functions)('%s: has reserved concurrency from a parameter', (id, fn) => {
    expect(effective(fn).ReservedConcurrentExecutions).toEqual({ Ref: reservedBy[id] })
    expect(defaultOf(effective(fn).ReservedConcurrentExecutions)).toBeGreaterThan(0)
  })

  it.each(['ChatWorkerFunction', 'QueueWorkerFunction'])('%s reserves exactly the concurrency its event source may use', (id) => {
    const worker = props(resources[id] as JsonObject)
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
      'ChatDeadLetterQueueUrl', 'RequestsApiUrl', 'RequestQueueUrl', 'RequestDeadLetterQueueUrl', 'ResultsBucketName', 'DashboardName',
      'ChatFallbackStateMachineArn'])
    expect((outputs.ChatStreamFunctionUrl as JsonObject).Value).toEqual({ 'Fn::GetAtt': ['ChatStreamFunctionUrl', 'FunctionUrl'] })
    const exported = Object.entries(outputs).filter(([, o]) => isObject((o as JsonObject).Export))
      .map(([name, o]) => [name, ((o as JsonObject).Export as JsonObject).Name])
    expect(exported.map(([name]) => name)).toEqual(exportedNames)
    expect(exported).toEqual(exported.map(([name]) => [name, { 'Fn::Sub': `\${AWS::StackName}-${String(name)}` }]))
  })
})
