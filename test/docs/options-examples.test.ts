/**
 * The options examples of the docs are code users copy: every `ts` block of the options pages that calls
 * `breakwater(...)`, `router(...)` or `fallback(...)` is compiled from the page (TypeScript strips the types) and run
 * against the real middleware factories, which check their options at creation as they would in a Lambda. An
 * example that throws BreakwaterConfigError is a bug of the docs. The reference page's tables are held to the code
 * too: its stop reasons are the SDK's, its metrics Breakwater's, and the InvokeModel family table says what
 * invokeStopReason reads.
 */
import { readFileSync } from 'node:fs'
import { StopReason } from '@aws-sdk/client-bedrock-runtime'
import ts from 'typescript'
import { METRIC } from '../../src/aws/observability.js'
import { invokeStopReason } from '../../src/core/invoke-stop-reason.js'
import { BreakwaterConfigError, breakwater, fallback, router } from '../../src/index.js'

const PAGES = ['docs/bedrock-native.md', 'docs/router.md', 'docs/fallback.md'] as const
const read = (page: string): string => readFileSync(new URL(`../../${page}`, import.meta.url), 'utf8')

/** The `ts` blocks of a page that call one of the factories: what its option examples are. */
function optionExamples(page: string): string[] {
  return [...read(page).matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
    .map((m) => m[1] ?? '')
    .filter((code) => /\b(?:breakwater|router|fallback)\(/.test(code))
}

/** Runs an example as users would: its imports dropped (the factories are given), its types stripped. */
function run(code: string): void {
  const body = code.replace(/^import .*$/gm, '')
  const js = ts.transpileModule(body, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText
  new Function('breakwater', 'router', 'fallback', js)(breakwater, router, fallback)
}

describe('the options examples of the docs', () => {
  const examples = PAGES.flatMap((page) => optionExamples(page).map((code, i) => [`${page} #${i + 1}`, code] as const))

  it('are found', () => {
    expect(optionExamples('docs/bedrock-native.md').length).toBeGreaterThanOrEqual(5)
    expect(examples.length).toBeGreaterThanOrEqual(7)
  })

  it.each(examples)('%s passes the real option schemas', (_name, code) => {
    expect(() => run(code)).not.toThrow()
  })

  it('would catch an example that does not (the check is live)', () => {
    const [, ladder] = examples[0] ?? ['', '']
    expect(ladder).toContain("serviceTier: 'priority'")
    expect(() => run(ladder.replace("serviceTier: 'priority'", "serviceTier: 'premium'"))).toThrow(BreakwaterConfigError)
    expect(() => run('fallback({ hedge: { minDelay: 300 } })')).toThrow(BreakwaterConfigError)
  })

  const options = [
    'serviceTier', 'latency', 'contextWindow', 'timeoutShedsHistory', 'hedge', 'p95Factor', 'minDelayMs', 'maxExtraShare', 'summarize',
  ]
  it.each(options)(
    'the reference shows %s in an example',
    (option) => {
      expect(optionExamples('docs/bedrock-native.md').some((code) => code.includes(`${option}:`))).toBe(true)
    },
  )
})

/** The first-column cells of the markdown table rows of `section` (a `## ` heading of the reference page). */
function tableRows(page: string, section: string): string[][] {
  const text = read(page)
  const start = text.indexOf(`\n## ${section}\n`)
  const end = text.indexOf('\n## ', start + 1)
  return text.slice(start, end === -1 ? undefined : end).split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| ---'))
    .slice(1)
    .map((line) => line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()))
}
const codes = (cell: string | undefined): string[] => [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '')

describe('the reference tables', () => {
  it('list every stop reason of the SDK, and no other', () => {
    const listed = tableRows('docs/bedrock-native.md', 'Stop reasons').flatMap((row) => codes(row[0]))
    expect(listed.sort()).toEqual(Object.values(StopReason).sort())
  })

  it("name Breakwater's own metrics", () => {
    const metrics = tableRows('docs/bedrock-native.md', 'Metrics').flatMap((row) => codes(row[0]))
    expect(metrics).toEqual(['ServiceTierDowngrades', 'GuardrailInterventions', 'HistorySummaries', 'HistorySummaryFailures'])
    for (const name of metrics) expect(Object.values(METRIC)).toContain(name)
  })
})

/** A body of each family of the InvokeModel table, stopping with `reason`. */
const FAMILY_BODY: Readonly<Record<string, (reason: string) => object>> = {
  'Amazon Titan Text': (r) => ({ results: [{ outputText: 'x', completionReason: r }] }),
  'Meta Llama': (r) => ({ generation: 'x', stop_reason: r }),
  Mistral: (r) => ({ outputs: [{ text: 'x', stop_reason: r }] }),
  'OpenAI-style chat completion': (r) => ({ choices: [{ message: {}, finish_reason: r }] }),
  'Cohere Command R / Command': (r) => ({ text: 'x', finish_reason: r }),
  'Anthropic Claude': (r) => ({ content: [], stop_reason: r }),
}

describe("the InvokeModel bodies table (errors-and-observability.md) says what's read", () => {
  const text = read('docs/errors-and-observability.md')
  const section = text.slice(text.indexOf('### InvokeModel bodies'))
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---')).slice(1)
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()))
  const mappings = rows.flatMap(([family = '', , values = '']) =>
    [...values.matchAll(/`([^`]+)` → `([^`]+)`/g)].map((m) => [family, m[1] ?? '', m[2] ?? ''] as const))

  it('is found', () => {
    expect(mappings.length).toBeGreaterThanOrEqual(15)
  })

  it.each(mappings)('%s: %s → %s', (family, native, read) => {
    const body = FAMILY_BODY[family]
    expect(body).toBeDefined()
    expect(invokeStopReason(body?.(native))).toBe(read)
  })
})
