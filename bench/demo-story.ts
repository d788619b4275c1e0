/**
 * Turns what one invocation left behind — Breakwater's log lines, the fake Bedrock's call log, the flushed metrics
 * and the handler's result — into a few lines a person can read.
 */
import type { CallRecord } from '../tools/fake-bedrock/fake-bedrock.js'
import type { LogEntry } from './support/powertools-sinks.js'

export interface InvocationRecord {
  readonly index: number
  readonly total: number
  readonly logs: readonly LogEntry[]
  readonly calls: readonly CallRecord[]
  readonly metrics: ReadonlyMap<string, readonly number[]>
  readonly result: unknown
  readonly elapsedMs: number
  readonly remainingMs: number
}

/** `anthropic.claude-3-5-sonnet-20240620-v1:0` → `claude-3-5-sonnet`. */
export const shortModel = (model: string): string =>
  (model.split('.').pop() ?? model).replace(/-\d{8}(-v\d+(:\d+)?)?$/, '').replace(/-v\d+(:\d+)?$/, '')

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''))
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0))
const targetOf = (e: LogEntry): string => `${shortModel(str(e.model))}@${str(e.region)}`
const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s)
/** JSON with long string values shortened, so a reply fits on one line and its other fields stay visible. */
const compact = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? clip(v, 48) : v))
const compactBody = (body: string): string => {
  try {
    return compact(JSON.parse(body))
  } catch {
    return clip(body, 120)
  }
}

function callText(call: CallRecord | undefined): string {
  if (!call) return ''
  if (call.outcome === 'aborted') return 'no reply, call aborted'
  if (call.outcome === 'reset') return 'stream reset'
  return call.status === 200 ? 'HTTP 200' : `HTTP ${call.status} ${call.errorType ?? ''}`.trim()
}

function attemptLine(e: LogEntry, call: CallRecord | undefined, next: LogEntry | undefined): string {
  const target = targetOf(e).padEnd(28)
  const outcome = str(e.outcome)
  switch (outcome) {
    case 'success':
      return `  ✓ ${target} #${num(e.attempt)}  ${callText(call)}  ${num(e.latencyMs)} ms`
    case 'skipped-open':
      return `  ⊘ ${target} skipped: breaker open, no call made`
    case 'skipped-deadline':
      return num(e.attempt) > 1
        ? `  ⊘ ${target} retry #${num(e.attempt)} skipped: the backoff would run past the Lambda deadline`
        : `  ⊘ ${target} skipped: not enough time left before the Lambda deadline`
    case 'skipped-budget':
      return `  ⊘ ${target} retry skipped: the container's retry budget is spent`
    default: {
      const again = next?.message.startsWith('breakwater attempt') && targetOf(next) === targetOf(e)
      const then = outcome === 'context-overflow' && again ? ' → history shortened, same target again' : ''
      return `  ✗ ${target} #${num(e.attempt)}  ${callText(call) || str(e.errorName)} → ${outcome}  ${num(e.latencyMs)} ms${then}`
    }
  }
}

function breakerLine(e: LogEntry): string {
  const at = Date.parse(str(e.timestamp))
  const openUntil = num(e.openUntil)
  const reopen = e.to === 'open' && openUntil > 0 && !Number.isNaN(at) ? `, half-open in ${Math.round((openUntil - at) / 1000)} s` : ''
  const [model = '', region = ''] = str(e.target).split('@')
  return `  ⚡ breaker ${shortModel(model)}@${region}: ${str(e.from)} → ${str(e.to)}${reopen}`
}

function resultLine(result: unknown): string {
  if (typeof result !== 'object' || result === null) return `  ⇐ ${String(result)}`
  const r = result as Record<string, unknown>
  if (Array.isArray(r.batchItemFailures)) {
    const ids = (r.batchItemFailures as { itemIdentifier: string }[]).map((f) => `${f.itemIdentifier.slice(0, 8)}…`)
    const answered = ids.length === 0
      ? 'every record answered, batchItemFailures: []'
      : `batchItemFailures: ${ids.join(', ')} (redelivered)`
    return `  ⇐ SQS batch: ${answered}`
  }
  if (typeof r.statusCode === 'number' && typeof r.body === 'string') {
    const headers = (r.headers ?? {}) as Record<string, string>
    const multi = (r.multiValueHeaders ?? {}) as Record<string, string[]>
    const retryAfter = headers['retry-after'] ?? multi['retry-after']?.[0]
    return `  ⇐ ${r.statusCode}${retryAfter === undefined ? '' : ` Retry-After: ${retryAfter}`}  ${compactBody(r.body)}`
  }
  return `  ⇐ direct result  ${compact(result)}`
}

function metricsLine(metrics: ReadonlyMap<string, readonly number[]>): string | undefined {
  if (metrics.size === 0) return undefined
  const parts = [...metrics].map(([name, values]) =>
    name === 'UpstreamLatency' ? `${name} ×${values.length}` : `${name}=${values.reduce((a, b) => a + b, 0)}`)
  return `  metrics: ${parts.join('  ')}`
}

/** The lines that tell one invocation's story. */
export function formatInvocation(inv: InvocationRecord): string[] {
  const lines = [`▶ invocation ${inv.index} of ${inv.total}`]
  const queues = new Map<string, CallRecord[]>()
  for (const c of inv.calls) queues.set(`${c.model}@${c.region}`, [...(queues.get(`${c.model}@${c.region}`) ?? []), c])
  inv.logs.forEach((e, i) => {
    const next = inv.logs.slice(i + 1).find((n) => n.message.startsWith('breakwater attempt'))
    switch (e.message) {
      case 'breakwater attempt':
      case 'breakwater attempt failed': {
        const call = str(e.outcome).startsWith('skipped') ? undefined : queues.get(`${str(e.model)}@${str(e.region)}`)?.shift()
        lines.push(attemptLine(e, call, next))
        break
      }
      case 'breakwater retry':
        lines.push(`    … waiting ${Math.round(num(e.waitMs))} ms before retrying (${str(e.failureClass)}, full-jitter backoff)`)
        break
      case 'breakwater breaker transition':
        lines.push(breakerLine(e))
        break
      case 'breakwater probe granted':
        lines.push(`  ◐ probe permit granted for ${str(e.target)} (stage ${num(e.stage) + 1})`)
        break
      case 'breakwater breaker store failed; using local state':
        lines.push(`  ! breaker store failed (${str(e.operation)}): using container-local state`)
        break
      case 'breakwater served': {
        const degraded = e.degraded === false || e.degraded === undefined ? '' : `, degraded: ${str(e.degraded)}`
        lines.push(`  → served by ${targetOf(e)} after ${num(e.attempts)} call(s)${degraded}`)
        break
      }
      case 'breakwater replied with a failure':
        lines.push(`  → Breakwater answers for the handler: ${num(e.statusCode)} ${str(e.errorType)} (${str(e.source)} shape)`)
        break
      case 'chat record failed':
        lines.push(`  ✗ SQS record ${str(e.messageId).slice(0, 8)}… failed: ${str(e.errorType)}`)
        break
    }
  })
  lines.push(resultLine(inv.result))
  const metrics = metricsLine(inv.metrics)
  if (metrics) lines.push(metrics)
  lines.push(`  took ${inv.elapsedMs} ms; ${inv.remainingMs} ms of the Lambda timeout left`)
  return lines
}

/** Upstream calls per target over the whole run, from the fake's call log. */
export function formatCallSummary(calls: readonly CallRecord[]): string[] {
  const byTarget = new Map<string, { total: number; ok: number }>()
  for (const c of calls) {
    const key = `${shortModel(c.model)}@${c.region}`
    const entry = byTarget.get(key) ?? { total: 0, ok: 0 }
    entry.total++
    if (c.outcome === 'ok') entry.ok++
    byTarget.set(key, entry)
  }
  if (byTarget.size === 0) return ['upstream calls: none']
  return ['upstream calls:', ...[...byTarget].map(([k, v]) => `  ${k.padEnd(28)} ${v.total} call(s), ${v.ok} ok, ${v.total - v.ok} failed`)]
}
