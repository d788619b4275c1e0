/**
 * The README's `promptOf` helpers are code users copy: they are compiled from the README itself (TypeScript strips the
 * types) and run on the events a careless caller sends. Anything malformed must be a BadRequestError (a 400), never a
 * TypeError (a 500): a null event, a body that is not a string, a base64 flag on a non-string body.
 */
import { readFileSync } from 'node:fs'
import ts from 'typescript'
import { BadRequestError } from '../../src/core/errors.js'

// The HTTP helper is in the README's quick start, the SQS one in docs/sqs-and-idempotency.md.
const README = ['../../README.md', '../../docs/sqs-and-idempotency.md']
  .map((f) => readFileSync(new URL(f, import.meta.url), 'utf8'))
  .join('\n')

/** Every `function promptOf(...)` in the README's TypeScript blocks, compiled to a callable. */
function promptOfs(): ((event: unknown) => string)[] {
  const found = [...README.matchAll(/^function promptOf\([\s\S]*?^\}$/gm)].map((m) => m[0])
  return found.map((source) => {
    const code = ts.transpileModule(`${source}\nreturn promptOf`, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText
    // The README's own code, run as users would run it.
    return new Function('BadRequestError', 'Buffer', code)(BadRequestError, Buffer) as (event: unknown) => string
  })
}

describe("the README's promptOf helpers", () => {
  const helpers = promptOfs()

  it('are found (the HTTP one and the SQS one)', () => {
    expect(helpers).toHaveLength(2)
  })

  const malformed: [string, unknown][] = [
    ['a null event', null],
    ['an undefined event', undefined],
    ['a number body', { body: 5 }],
    ['an object body', { body: { prompt: 'hi' } }],
    ['a base64 flag on a non-string body', { body: 5, isBase64Encoded: true }],
    ['invalid JSON', { body: '{"prompt": ' }],
    ['JSON null', { body: 'null' }],
    ['no prompt', { body: '{}' }],
  ]
  it.each(malformed)('%s → BadRequestError', (_name, event) => {
    for (const promptOf of helpers) expect(() => promptOf(event)).toThrow(BadRequestError)
  })

  it('a good body gives the prompt', () => {
    for (const promptOf of helpers) expect(promptOf({ body: '{"prompt":"hello"}' })).toBe('hello')
  })
})
