/**
 * The CLI of local invoke, `npm run invoke -- <LogicalId> events/<file>.json [--scenario <fault>] [--template
 * template.yaml] [--env-vars env.json] [--parameter-overrides K=V ...] [--region us-east-1] [--verbose]` (entry:
 * layer/invoke.ts; the runner is invoke.ts). Logs and Lambda's REPORT line go to stderr, the response to stdout: as
 * pretty JSON once the handler returns, or, for a streaming handler, as it is written — the prelude as a status
 * line and headers (as `curl -i` prints them), a blank line, then the body as written (a last newline added if it
 * has none). The exit code is 1 when the handler threw or timed out, 2 for a usage error.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { scenarioList } from '../fake-bedrock/scenarios.js'
import { invokeFunction, type InvokeResult } from './invoke.js'
import type { HttpPrelude } from './response-stream.js'
import type { StreamPart } from './stream-decoder.js'

/** The REPORT line Lambda writes after each invocation. */
export function reportLine(result: InvokeResult): string {
  const r = result.report
  if (!r) return 'REPORT (no report: the runtime did not answer)'
  const ms = (n: number): string => `${n.toFixed(2)} ms`
  return `REPORT RequestId: ${r.requestId}\tDuration: ${ms(r.durationMs)}\tBilled Duration: ${Math.ceil(r.durationMs)} ms\t` +
    `Memory Size: ${result.function.memorySize} MB\tMax Memory Used: ${r.maxMemoryMb} MB\tInit Duration: ${ms(r.initMs)}`
}

/** A streamed response's prelude the way `curl -i` shows one: status line, headers, cookies, blank line. */
export function preludeText(prelude: HttpPrelude): string {
  const lines = [`HTTP ${prelude.statusCode ?? 200}`]
  for (const [name, value] of Object.entries(prelude.headers ?? {})) lines.push(`${name}: ${value}`)
  for (const cookie of prelude.cookies ?? []) lines.push(`set-cookie: ${cookie}`)
  return `${lines.join('\n')}\n\n`
}

/** Writes a streamed response to stdout as it arrives. */
const printStream = (part: StreamPart): void => {
  process.stdout.write('prelude' in part ? preludeText(part.prelude) : part.body)
}

const USAGE = 'usage: npm run invoke -- <LogicalId> events/<file>.json [--scenario <fault>] [--template template.yaml] ' +
  '[--env-vars env.json] [--parameter-overrides K=V ...] [--region us-east-1] [--verbose]'

export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv], allowPositionals: true,
    options: {
      scenario: { type: 'string' }, template: { type: 'string' }, 'env-vars': { type: 'string' }, region: { type: 'string' },
      'parameter-overrides': { type: 'string', multiple: true }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  })
  const [functionId, event] = positionals
  if (values.help || functionId === undefined || event === undefined) {
    process.stderr.write(`${USAGE}\n\nscenarios (fake Bedrock):\n${scenarioList()}\n`)
    return values.help ? 0 : 2
  }
  // SAM's --env-vars format: { "<LogicalId>": { "VAR": "value" }, "Parameters": { ... applies to all } }.
  const envFile = values['env-vars'] ? JSON.parse(readFileSync(values['env-vars'], 'utf8')) as Record<string, Record<string, string>> : {}
  const parameters = Object.fromEntries((values['parameter-overrides'] ?? []).flatMap((s) => s.split(/\s+/)).filter(Boolean).map((kv) => {
    const eq = kv.indexOf('=')
    return [kv.slice(0, eq).replace(/^ParameterKey=/, ''), kv.slice(eq + 1)]
  }))
  const err = (line: string): void => { process.stderr.write(`${line}\n`) }
  if (process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME && values.scenario) {
    err(`--scenario ${values.scenario} ignored: AWS_ENDPOINT_URL_BEDROCK_RUNTIME points at a real endpoint`)
  }
  const result = await invokeFunction({
    functionId, event, scenario: values.scenario, template: values.template, region: values.region, verbose: values.verbose,
    parameters, environment: { ...envFile.Parameters, ...envFile[functionId] }, onLog: err, onStream: printStream,
  })
  if (result.stream) err(`STREAM ${result.stream.chunks.length} body chunks, ${Buffer.byteLength(result.stream.body)} bytes`)
  err(reportLine(result))
  // A streamed response is out already, as it came: end it on a line of its own.
  if (result.stream && !result.stream.body.endsWith('\n')) process.stdout.write('\n')
  if (result.error) {
    const { errorType, errorMessage, stackTrace } = result.error
    process.stdout.write(`${JSON.stringify({ errorType, errorMessage, stackTrace }, null, 2)}\n`)
    return 1
  }
  if (!result.stream) process.stdout.write(`${JSON.stringify(result.response, null, 2)}\n`)
  return 0
}
