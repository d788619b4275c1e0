/**
 * A self-contained HTML report: per scenario a results table and, per strategy, an inline SVG timeline: requests by
 * outcome per second (stacked bars), upstream Bedrock calls per second (line), breaker state per target (strips).
 */
import type { ChaosResults, ScenarioResult } from './results.js'
import { CAPACITY_HEAD, capacityCells } from './capacity-format.js'
import { SUMMARY_HEAD, summaryCells } from './format.js'
import { STREAM_HEAD, streamCells } from './stream-format.js'
import type { Series, Summary } from './summary.js'
import { OUTCOMES, STRATEGIES, type BreakerTo, type Outcome, type StrategyName } from './types.js'

const COLORS: Record<Outcome, string> = {
  'ok': '#2e9e44', 'degraded': '#8fd18f', 'graceful': '#f0b429', 'raw-error': '#d64545', 'overrun': '#7b2cbf', 'throttled': '#555',
}
const STATE_COLORS: Record<BreakerTo, string> = { 'closed': '#cfe8d5', 'half-open': '#f7d774', 'open': '#e05d5d' }
const W = 1240
const LEFT = 60
const RIGHT = 60
const PLOT_H = 140

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string)
const shortKey = (key: string): string => key.replace(/^(us\.)?anthropic\./, '').replace(/-\d{8}-v\d:\d/, '')

/** `scale`: the same axes for every strategy of a scenario, so bars and lines compare at a glance. */
function chart(name: StrategyName, s: Series, r: ScenarioResult, scale: { maxReq: number; maxCalls: number }): string {
  const seconds = s.calls.length
  const keys = Object.keys(s.breaker)
  const stripsH = keys.length * 16
  const H = PLOT_H + 40 + stripsH
  const plotW = W - LEFT - RIGHT
  const x = (sec: number): number => LEFT + (sec / seconds) * plotW
  const { maxReq, maxCalls } = scale
  const y = (v: number, max: number): number => 20 + PLOT_H - (v / max) * PLOT_H
  const parts: string[] = []
  const fault = r.scenario.fault
  if (fault) parts.push(`<rect x="${x(fault.fromS)}" y="20" width="${x(fault.toS) - x(fault.fromS)}" height="${PLOT_H}" fill="#fde2e2"/>` +
    `<text x="${x(fault.fromS) + 4}" y="32" font-size="11" fill="#a33">fault</text>`)
  const dark = r.scenario.dynamodbDown
  if (dark) parts.push(`<rect x="${x(dark.fromS)}" y="20" width="${x(dark.toS) - x(dark.fromS)}" height="10" fill="#8a8fb8"/>` +
    `<text x="${x(dark.fromS) + 4}" y="29" font-size="9" fill="#fff">DynamoDB down</text>`)
  const bw = plotW / seconds
  for (let i = 0; i < seconds; i++) {
    let acc = 0
    for (const o of OUTCOMES) {
      const v = s.outcomes[o][i] ?? 0
      if (v === 0) continue
      const box = `x="${(x(i) + 1).toFixed(1)}" y="${y(acc + v, maxReq).toFixed(1)}"`
        + ` width="${Math.max(1, bw - 2).toFixed(1)}" height="${((v / maxReq) * PLOT_H).toFixed(1)}"`
      parts.push(`<rect ${box} fill="${COLORS[o]}"><title>${i}s ${o}: ${v}</title></rect>`)
      acc += v
    }
  }
  const line = s.calls.map((c, i) => `${(x(i) + bw / 2).toFixed(1)},${y(c, maxCalls).toFixed(1)}`).join(' ')
  parts.push(`<polyline points="${line}" fill="none" stroke="#1f5fbf" stroke-width="2"/>`)
  if (s.ceiling) {
    // The goodput ceiling of this strategy's route, on the requests' scale: bars above it were served after waiting.
    const ceiling = s.ceiling.map((c, i) => `${(x(i) + bw / 2).toFixed(1)},${y(c, maxReq).toFixed(1)}`).join(' ')
    parts.push(`<polyline points="${ceiling}" fill="none" stroke="#111" stroke-width="1.5" stroke-dasharray="5 3"/>`)
  }
  // Axes: requests/s on the left, calls/s on the right, seconds below.
  parts.push(`<line x1="${LEFT}" y1="${20 + PLOT_H}" x2="${W - RIGHT}" y2="${20 + PLOT_H}" stroke="#333"/>`)
  parts.push(`<text x="${LEFT - 6}" y="26" font-size="11" text-anchor="end">${maxReq}</text>`)
  parts.push(`<text x="${LEFT - 6}" y="${20 + PLOT_H}" font-size="11" text-anchor="end">0</text>`)
  parts.push(`<text x="${LEFT - 6}" y="${20 + PLOT_H / 2}" font-size="10" text-anchor="end">req/s</text>`)
  parts.push(`<text x="${W - RIGHT + 6}" y="26" font-size="11" fill="#1f5fbf">${maxCalls}</text>`)
  parts.push(`<text x="${W - RIGHT + 6}" y="${20 + PLOT_H / 2}" font-size="10" fill="#1f5fbf">calls/s</text>`)
  const step = seconds > 40 ? 10 : 5
  for (let t = 0; t <= seconds; t += step) {
    parts.push(`<text x="${x(t)}" y="${34 + PLOT_H}" font-size="10" text-anchor="middle">${t}s</text>`)
  }
  keys.forEach((key, k) => {
    const yy = 40 + PLOT_H + k * 16
    const events = s.breaker[key] ?? []
    parts.push(`<rect x="${LEFT}" y="${yy}" width="${plotW}" height="12" fill="${STATE_COLORS.closed}"/>`)
    events.forEach(([at, to], i) => {
      const until = events[i + 1]?.[0] ?? seconds
      if (to === 'closed') return
      const box = `x="${x(at).toFixed(1)}" y="${yy}" width="${Math.max(1.5, x(until) - x(at)).toFixed(1)}" height="12"`
      parts.push(`<rect ${box} fill="${STATE_COLORS[to]}"><title>${at}s ${to}</title></rect>`)
    })
    parts.push(`<text x="${LEFT + 4}" y="${yy + 10}" font-size="10">breaker ${esc(shortKey(key))}</text>`)
  })
  return `<h3>${name}</h3><svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">${parts.join('')}</svg>`
}

function row(name: StrategyName, m: Summary): string {
  return `<tr>${summaryCells(name, m).map((c, i) => (i === 0 ? `<th>${c}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`
}

/** A stream or capacity scenario's second table (empty elsewhere). */
function extraTable(r: ScenarioResult, head: readonly string[], of: (name: StrategyName, m: Summary) => string[] | undefined): string {
  const rows = STRATEGIES.map((s) => of(s, r.strategies[s].summary))
  if (rows.some((c) => c === undefined)) return ''
  const cells = (c: readonly string[]): string => c.map((x, i) => (i === 0 ? `<th>${x}</th>` : `<td>${esc(x)}</td>`)).join('')
  const body = rows.map((c) => `<tr>${cells(c ?? [])}</tr>`).join('')
  return `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${body}</table>`
}

function section(r: ScenarioResult): string {
  const head = SUMMARY_HEAD.map((h) => `<th>${h}</th>`).join('')
  const table = `<table><tr>${head}</tr>${STRATEGIES.map((s) => row(s, r.strategies[s].summary)).join('')}</table>` +
    extraTable(r, STREAM_HEAD, streamCells) + extraTable(r, CAPACITY_HEAD, capacityCells)
  const all = STRATEGIES.map((s) => r.strategies[s].series)
  const totals = all.flatMap((s) => s.calls.map((_, i) => OUTCOMES.reduce((sum, o) => sum + (s.outcomes[o][i] ?? 0), 0)))
  const scale = { maxReq: Math.max(1, ...totals), maxCalls: Math.max(1, ...all.flatMap((s) => s.calls)) }
  const charts = STRATEGIES.map((s) => chart(s, r.strategies[s].series, r, scale)).join('')
  const requests = r.strategies.naive.summary.requests
  const intro = `${esc(r.scenario.summary)} — ${requests} requests over ${r.scenario.durationS} s.`
  return `<section><h2>${esc(r.scenario.name)}</h2><p>${intro}</p>${table}${charts}</section>`
}

const BREAKER_LEGEND = (Object.entries(STATE_COLORS) as [BreakerTo, string][])
  .map(([k, c]) => `<span><i style="background:${c}"></i>breaker ${k}</span>`).join('')
const LEGEND = OUTCOMES.map((o) => `<span><i style="background:${COLORS[o]}"></i>${o}</span>`).join('') +
  '<span><i style="background:#1f5fbf;height:3px"></i>upstream calls/s</span>' +
  '<span><i style="background:#111;height:2px"></i>goodput ceiling/s (capacity scenarios, dashed)</span>' +
  BREAKER_LEGEND

const STYLE = 'body{font-family:sans-serif;margin:24px;color:#222} table{border-collapse:collapse;margin:8px 0 12px}'
  + ' td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}\n'
  + 'th{background:#f4f4f4} h3{margin:10px 0 2px;font-size:14px} .legend span{margin-right:14px;font-size:13px}'
  + ' .legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}\n'
  + 'code{background:#f4f4f4;padding:2px 4px}'

export function renderReport(all: ChaosResults): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Breakwater chaos bench</title><style>
${STYLE}</style></head><body>
<h1>Breakwater chaos bench</h1><p><code>${esc(all.command)}</code></p>
<p>Bars: requests by outcome per second of arrival. Line: upstream Bedrock calls per second. Strips: breaker state per target
(Breakwater: the fleet's shared breaker; cockatiel: the latest transition of any instance's own breaker). Shaded: the fault window.</p>
<p class="legend">${LEGEND}</p>${all.results.map(section).join('')}</body></html>\n`
}
