/**
 * The runner behind `npm run invoke -- <LogicalId> events/<file>.json [--scenario <fault>] [--template template.yaml]
 * [--verbose]` (CLI entry: layer/invoke.ts).
 *
 * The `sam local invoke <LogicalId> -e events/<file>.json` of this repository, without Docker: reads the function from
 * template.yaml (Handler, CodeUri, Timeout, MemorySize, Environment from Globals and the function, Layers), builds the
 * layer if it is not there, and runs the handler once with lambda-local in a fresh child process (a cold start) whose
 * bare imports resolve the way Lambda resolves them with the layer at /opt (see invoke-hooks.ts).
 *
 * Bedrock is the fake server of the tests on 127.0.0.1 with the `--scenario`'s fault plan (tools/fake-bedrock/scenarios.ts), and
 * DynamoDB is DynamoDB Local on 127.0.0.1 (dynalite where Java is missing; tools/dynamodb-local/dynamodb.ts), with the
 * template's tables created in a database of the invocation's own, unless real endpoints are configured:
 * AWS_ENDPOINT_URL_BEDROCK_RUNTIME and BREAKWATER_DYNAMODB_ENDPOINT. The function finds them through the SDK's own
 * AWS_ENDPOINT_URL_BEDROCK_RUNTIME / AWS_ENDPOINT_URL_DYNAMODB variables. A handler built with response streaming
 * (Middy's executionModeStreamifyResponse) runs against a local `awslambda` global and its response is read as it is
 * written (`onStream`). The CLI is invoke-cli.ts.
 */
import { CreateTableCommand, ResourceInUseException, type AttributeDefinition, type KeySchemaElement } from '@aws-sdk/client-dynamodb'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PRIMARY_MODEL, SMALL_MODEL, scenarioNamed } from '../fake-bedrock/scenarios.js'
import { startDynamoDB, type TestDynamoDB } from '../dynamodb-local/dynamodb.js'
import { FakeBedrock, type FaultRule } from '../fake-bedrock/fake-bedrock.js'
import { functionConfig, readTemplate, type FunctionConfig } from './invoke-template.js'
import { ACCOUNT_ID, lambdaEnvironment, runInChild, type ChildOutcome } from './invoke-process.js'
import type { StreamPart } from './stream-decoder.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface InvokeOptions {
  /** The function's logical ID in the template. */
  readonly functionId: string
  /** The event: a path (relative to the working directory or the repository) or the event itself. */
  readonly event: string | { readonly payload: unknown }
  /** Fault scenario of the fake Bedrock (tools/fake-bedrock/scenarios.ts). Default `healthy`. Ignored with a real endpoint. */
  readonly scenario?: string
  /** Default: the repository's template.yaml. */
  readonly template?: string
  /** Values that win over parameter defaults (`--parameter-overrides`). */
  readonly parameters?: Readonly<Record<string, string>>
  /** Extra environment for the function, over the template's (`--env-vars`). */
  readonly environment?: Readonly<Record<string, string>>
  readonly region?: string
  /** Each log line of the function as it arrives. */
  readonly onLog?: (line: string) => void
  /** A streaming handler's response as it arrives: its prelude (status, headers) first, then each piece of body. */
  readonly onStream?: (part: StreamPart) => void
  /** lambda-local's own START / End lines too (its verboseLevel 3). */
  readonly verbose?: boolean
  /** Called after the invocation, before the servers stop: lets a test look at the calls or the tables. */
  readonly afterInvoke?: (servers: { readonly bedrock?: FakeBedrock; readonly dynamodb: TestDynamoDB }) => Promise<void> | void
}

export interface InvokeResult extends ChildOutcome {
  readonly function: FunctionConfig
  /** Calls the fake Bedrock received (0 with a real endpoint). */
  readonly bedrockCalls: number
}

export async function invokeFunction(options: InvokeOptions): Promise<InvokeResult> {
  const region = options.region ?? 'us-east-1'
  const templatePath = resolve(options.template ?? join(REPO_ROOT, 'template.yaml'))
  const template = readTemplate(templatePath)
  const read = (): FunctionConfig =>
    functionConfig(template, options.functionId, { region, accountId: ACCOUNT_ID, stackName: 'local', parameters: options.parameters })
  let config = read()
  // What `sam build` would do first: the layer's nodejs/ and the function's compiled handler.
  for (const dir of config.layerDirs) buildIfMissing('build:layer', join(dir, 'nodejs'), `the layer in ${dir}`, options.onLog)
  if (config.handlerFile === undefined) {
    buildIfMissing('build:examples', undefined, `${config.logicalId}'s handler (${config.handlerCandidates.join(' or ')})`, options.onLog)
    config = read()
    if (config.handlerFile === undefined) {
      throw new Error(`${config.logicalId}: no handler file: looked for ${config.handlerCandidates.join(', ')}`)
    }
  }
  const wanted = /^nodejs(\d+)/.exec(config.runtime)?.[1]
  const major = process.versions.node.split('.')[0]
  if (wanted !== undefined && wanted !== major) {
    options.onLog?.(`note: ${config.logicalId} runs on ${config.runtime} in Lambda, here on Node.js ${process.versions.node}`)
  }
  const payload = typeof options.event === 'string'
    ? JSON.parse(readFileSync(eventPath(options.event), 'utf8')) as unknown
    : options.event.payload

  const realBedrock = process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME?.trim() || undefined
  const fake = realBedrock ? undefined : await FakeBedrock.start()
  fake?.plan(scenarioPlan(options.scenario ?? 'healthy', config, options.onLog))
  let dynamo: TestDynamoDB | undefined
  try {
    dynamo = await startDynamoDB()
    // The template's tables, in DynamoDB Local or a local emulator (moto); never created in a real account.
    if (isLoopback(dynamo.endpoint)) for (const table of config.tables) await createTable(dynamo, table)
    const real = Boolean(realBedrock || process.env.BREAKWATER_DYNAMODB_ENDPOINT)
    const endpoints = { bedrock: realBedrock ?? fake?.endpoint ?? '', dynamodb: dynamo.endpoint, real }
    const env = lambdaEnvironment(config, region, endpoints, options.environment)
    const run = await runInChild(config, payload, env, region, options)
    await options.afterInvoke?.({ bedrock: fake, dynamodb: dynamo })
    return { function: config, ...run, bedrockCalls: fake?.calls.length ?? 0 }
  } finally {
    await dynamo?.stop()
    await fake?.stop()
  }
}

/**
 * The scenario's fault plan, aimed at this function's models: tools/fake-bedrock/scenarios.ts names the demo's
 * primary and small models; a function configured with PRIMARY_MODEL_ID / FALLBACK_MODEL_ID (the template's examples) gets the same
 * faults on its own models, or a model-specific scenario such as `throttling` would never fire.
 */
function scenarioPlan(name: string, config: FunctionConfig, onLog: InvokeOptions['onLog']): FaultRule[] {
  const models = new Map([[PRIMARY_MODEL, config.environment.PRIMARY_MODEL_ID], [SMALL_MODEL, config.environment.FALLBACK_MODEL_ID]])
  const plan = scenarioNamed(name).plan.map((rule) => {
    const mapped = rule.model === undefined ? undefined : models.get(rule.model)
    return mapped ? { ...rule, model: mapped } : rule
  })
  const aimed = plan.filter((r, i) => r.model !== scenarioNamed(name).plan[i]?.model).map((r) => r.model)
  if (aimed.length > 0) onLog?.(`scenario ${name}: faults aimed at ${[...new Set(aimed)].join(', ')}`)
  return plan
}

const isLoopback = (endpoint: string): boolean => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(endpoint).hostname)

/** An events/ path as given, relative to the working directory, or to the repository root. */
function eventPath(file: string): string {
  const fromCwd = resolve(file)
  return existsSync(fromCwd) ? fromCwd : resolve(REPO_ROOT, file)
}

/** Runs `npm run <script>` when `output` is missing (or always, for undefined), or stops and says what is missing. */
function buildIfMissing(script: string, output: string | undefined, what: string, onLog: InvokeOptions['onLog']): void {
  if (output !== undefined && existsSync(output)) return
  const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {}
  if (!scripts[script]) throw new Error(`${what} is not built, and package.json has no "${script}" script to build it`)
  onLog?.(`${what} is not built yet: npm run ${script}`)
  const built = spawnSync('npm', ['run', script], { cwd: REPO_ROOT, encoding: 'utf8' })
  if (built.status !== 0 || (output !== undefined && !existsSync(output))) {
    throw new Error(`npm run ${script} failed (exit ${built.status}):\n${built.stdout}${built.stderr}`)
  }
}

async function createTable(dynamo: TestDynamoDB, table: FunctionConfig['tables'][number]): Promise<void> {
  try {
    await dynamo.client().send(new CreateTableCommand({
      TableName: table.name, BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: table.attributes as AttributeDefinition[], KeySchema: table.keys as KeySchemaElement[],
    }))
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error // an external endpoint that already has it is fine
  }
}
