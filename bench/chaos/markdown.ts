/**
 * The results as Markdown tables, one per scenario (what BENCHMARKS.md shows). `npm run bench:chaos` writes them to
 * `chaos-tables.md` next to the JSON; `tsx bench/chaos/markdown.ts <chaos-results.json>` prints them again.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CAPACITY_HEAD, capacityCells } from './capacity-format.js'
import { SUMMARY_HEAD, summaryCells } from './format.js'
import type { ChaosResults, ScenarioResult } from './results.js'
import { STREAM_HEAD, streamCells } from './stream-format.js'
import { STRATEGIES, type StrategyName } from './types.js'
import type { Summary } from './summary.js'

const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`

type Cells = (name: StrategyName, m: Summary) => string[] | undefined

/**
 * A scenario's second table, when its kind has one: a stream scenario's (whole answers, truncated ones delivered as
 * success, time to first token) or a capacity scenario's (goodput against the ceiling, and what it cost).
 */
function extraTable(r: ScenarioResult, head: readonly string[], cells: Cells): string[] {
  const rows = STRATEGIES.map((s) => cells(s, r.strategies[s].summary))
  if (rows.some((c) => c === undefined)) return []
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '--:'))), ...rows.map((c) => line(c ?? [])), '']
}

export function renderMarkdown(all: ChaosResults): string {
  const align = SUMMARY_HEAD.map((_, i) => (i === 0 || i >= SUMMARY_HEAD.length - 2 ? '---' : '--:'))
  return all.results.map((r) => {
    const requests = r.strategies.naive.summary.requests
    return [
      `### ${r.scenario.name} — ${r.scenario.summary} (${requests} requests)`, '',
      line(SUMMARY_HEAD), line(align),
      ...STRATEGIES.map((s) => line(summaryCells(s, r.strategies[s].summary))), '',
      ...extraTable(r, STREAM_HEAD, streamCells),
      ...extraTable(r, CAPACITY_HEAD, capacityCells),
    ].join('\n')
  }).join('\n')
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const file = process.argv[2]
  if (file === undefined) {
    process.stderr.write('usage: tsx bench/chaos/markdown.ts <chaos-results.json>\n')
    process.exitCode = 2
  } else {
    process.stdout.write(renderMarkdown(JSON.parse(readFileSync(file, 'utf8')) as ChaosResults))
  }
}
