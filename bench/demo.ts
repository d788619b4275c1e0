/**
 * `npm run demo -- <scenario> [events/<file>] [--invocations 5] [--timeout 10000] [--logs]`
 *
 * Starts the fake Bedrock with the scenario's faults, builds the sample chat handler with the Breakwater preset, a
 * Powertools Logger and Metrics, invokes it a few times with the event, and tells what happened each time: targets
 * tried, waits, breaker transitions, the reply. `--logs` also prints the raw Powertools log lines.
 */
import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { EmfOutput } from '@aws-lambda-powertools/metrics/types'
import { fakeClientConfig } from '../tools/fake-bedrock/bedrock-client.js'
import { FakeBedrock } from '../tools/fake-bedrock/fake-bedrock.js'
import { formatCallSummary, formatInvocation, shortModel } from './demo-story.js'
import { createHandler } from '../examples/chat/chat-handler.js'
import { sourceOf } from '../examples/chat/chat-request.js'
import { DEMO_POLICIES, ROUTES, scenarioList, scenarioNamed, UnknownScenarioError } from '../tools/fake-bedrock/scenarios.js'
import { lambdaContext } from '../tools/lambda-context.js'
import { runStreamDemo, STREAM_SCENARIOS, streamScenarioList } from './demo-stream.js'
import { QUEUE_DEMOS, queueDemoList, runQueueDemo } from './demo-queue.js'
import { metricValues, SinkLogger, SinkMetrics, type LogEntry } from './support/powertools-sinks.js'

export const DEFAULT_EVENT = 'events/apigw-http.json'
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface DemoOptions {
  /** Where the story goes. Default: stdout. */
  readonly out?: { write(text: string): unknown }
  readonly invocations?: number
  /** The Lambda timeout each invocation's context counts down from, ms. */
  readonly timeoutMs?: number
  /** Also print every Powertools log line as JSON. */
  readonly logs?: boolean
}

export interface DemoResult {
  /** What the handler returned, per invocation. */
  readonly results: readonly unknown[]
}

/** An events/ path as given, relative to the working directory, or relative to the repository root. */
export function resolveEventFile(file: string): string {
  if (isAbsolute(file)) return file
  const fromCwd = resolve(file)
  return existsSync(fromCwd) ? fromCwd : resolve(REPO_ROOT, file)
}

export async function runDemo(scenarioName: string, eventFile = DEFAULT_EVENT, options: DemoOptions = {}): Promise<DemoResult> {
  const scenario = scenarioNamed(scenarioName)
  const { invocations = 5, timeoutMs = 10_000 } = options
  const write = (line = ''): void => { (options.out ?? process.stdout).write(`${line}\n`) }
  const event: unknown = JSON.parse(readFileSync(resolveEventFile(eventFile), 'utf8'))

  const logs: LogEntry[] = []
  const emfs: EmfOutput[] = []
  const logger = new SinkLogger((entry, json) => {
    logs.push(entry)
    if (options.logs) write(`    ${json}`)
  }, { serviceName: 'chat', logLevel: 'DEBUG' })
  const metrics = new SinkMetrics((emf) => emfs.push(emf), { namespace: 'Breakwater', serviceName: 'chat', logger })
  const server = await FakeBedrock.start()
  server.plan(scenario.plan)
  const handler = createHandler({ routes: ROUTES, client: { clientConfig: fakeClientConfig(server) }, logger, metrics, ...DEMO_POLICIES })

  write(`Breakwater demo — scenario "${scenario.name}": ${scenario.summary}`)
  write(`event ${eventFile} (${sourceOf(event)}), ${invocations} invocations, ${timeoutMs} ms Lambda timeout each`)
  const route = (ROUTES.chat ?? []) as readonly (string | { model: string; region: string; maxTokens?: number })[]
  const step = (t: (typeof route)[number]): string => (typeof t === 'string'
    ? shortTarget(t)
    : `${shortModel(t.model)}@${t.region}${t.maxTokens ? ` (maxTokens ${t.maxTokens})` : ''}`)
  write(`route: ${route.map(step).join(' → ')}`)
  write()
  const results: unknown[] = []
  try {
    for (let i = 1; i <= invocations; i++) {
      const [logMark, callMark, emfMark] = [logs.length, server.calls.length, emfs.length]
      const context = lambdaContext({ timeoutMs, requestId: `demo-${scenario.name}-${i}` })
      const started = Date.now()
      let result: unknown
      try {
        result = await handler(structuredClone(event), context)
      } catch (error) {
        result = { lambdaError: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
      }
      results.push(result)
      const metricsSeen = new Map<string, number[]>()
      for (const emf of emfs.slice(emfMark)) {
        for (const [name, values] of metricValues(emf)) metricsSeen.set(name, [...(metricsSeen.get(name) ?? []), ...values])
      }
      const story = formatInvocation({
        index: i, total: invocations, logs: logs.slice(logMark), calls: server.calls.slice(callMark), metrics: metricsSeen,
        result, elapsedMs: Date.now() - started, remainingMs: context.getRemainingTimeInMillis(),
      })
      for (const line of story) write(line)
      write()
    }
    for (const line of formatCallSummary(server.calls)) write(line)
  } finally {
    await server.stop()
  }
  return { results }
}

const shortTarget = (spec: string): string => {
  const at = spec.lastIndexOf('@')
  return `${shortModel(spec.slice(0, at))}@${spec.slice(at + 1)}`
}

const USAGE = 'usage: npm run demo -- <scenario> [events/<file>.json] [--invocations N] [--timeout MS] [--logs]'

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv], allowPositionals: true,
    options: { invocations: { type: 'string' }, timeout: { type: 'string' }, logs: { type: 'boolean' } },
  })
  const [scenario, eventFile = DEFAULT_EVENT] = positionals
  if (scenario === undefined) {
    process.stderr.write(`${USAGE}\n\nscenarios:\n${scenarioList()}\n${streamScenarioList()}\n${queueDemoList()}\n`)
    return 2
  }
  if (STREAM_SCENARIOS.has(scenario)) {
    await runStreamDemo(scenario)
    return 0
  }
  if (QUEUE_DEMOS.has(scenario)) {
    await runQueueDemo({ eventFile: resolveEventFile(eventFile) })
    return 0
  }
  const number = (v: string | undefined, fallback: number): number => (v === undefined ? fallback : Number(v))
  const invocations = number(values.invocations, 5)
  const timeoutMs = number(values.timeout, 10_000)
  if (!Number.isInteger(invocations) || invocations < 1 || !(timeoutMs > 0)) {
    process.stderr.write(`${USAGE}\n--invocations must be a positive integer and --timeout a positive number of ms\n`)
    return 2
  }
  if (!existsSync(resolveEventFile(eventFile))) {
    process.stderr.write(`no such event file: ${eventFile}\n`)
    return 2
  }
  try {
    await runDemo(scenario, eventFile, { invocations, timeoutMs, logs: values.logs === true })
    return 0
  } catch (error) {
    if (!(error instanceof UnknownScenarioError)) throw error
    process.stderr.write(`${error.message}\n${USAGE}\n\nscenarios:\n${scenarioList()}\n${streamScenarioList()}\n${queueDemoList()}\n`)
    return 2
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2))
}
