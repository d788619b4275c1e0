/** Structured output: JSON + JSON Schema validation by ajv, compiled once per schema object, concise reasons. */
import { beforeAll, describe, expect, it } from '@jest/globals'
import { BreakwaterConfigError, MalformedOutputError } from '../../../src/core/errors.js'
import { loadSchemaValidator, MAX_FORMAT_CHARS, structuredOutput } from '../../../src/core/output/json-schema.js'

// ajv is loaded lazily (cold start); the invoker awaits this before its first structured call.
beforeAll(() => loadSchemaValidator())

const ORDER = {
  type: 'object',
  required: ['total', 'items'],
  properties: {
    total: { type: 'integer' }, items: { type: 'array', items: { type: 'string' } }, email: { type: 'string', format: 'email' },
  },
  additionalProperties: false,
}

const rejection = (fn: () => unknown): unknown => { try { fn() } catch (e) { return e } throw new Error('did not throw') }

describe('structuredOutput', () => {
  it('returns the parsed value of a valid reply, fenced or not', () => {
    const out = structuredOutput(ORDER)
    expect(out.parse('{"total": 3, "items": ["a"]}')).toEqual({ total: 3, items: ['a'] })
    expect(out.parse('```json\n{"total": 0, "items": []}\n```')).toEqual({ total: 0, items: [] })
  })

  it('rejects text that is not JSON with MalformedOutputError carrying the text', () => {
    const error = rejection(() => structuredOutput(ORDER).parse('Sure! {"total": 3}'))
    expect(error).toBeInstanceOf(MalformedOutputError)
    expect(error).toMatchObject({ message: 'the reply is not valid JSON (only a JSON value, no prose)', output: 'Sure! {"total": 3}' })
  })

  it('rejects JSON that does not match with ajv\'s first error as the reason', () => {
    const out = structuredOutput(ORDER)
    expect(rejection(() => out.parse('{"total": 2.5, "items": []}')))
      .toMatchObject({ message: 'the reply does not match the schema: reply/total must be integer' })
    expect(rejection(() => out.parse('{"items": []}')))
      .toMatchObject({ message: "the reply does not match the schema: reply must have required property 'total'" })
    expect(rejection(() => out.parse('{"total": 1, "items": [], "extra": 1}')))
      .toMatchObject({ message: 'the reply does not match the schema: reply must NOT have additional properties' })
  })

  it('compiles each schema object once (cached by identity), and an equal copy separately', () => {
    const first = structuredOutput(ORDER)
    expect(structuredOutput(ORDER)).toBe(first)
    const copy = structuredOutput({ ...ORDER })
    expect(copy).not.toBe(first)
    expect(copy.parse('{"total": 1, "items": []}')).toEqual({ total: 1, items: [] })
  })

  it('two schemas with the same $id do not collide', () => {
    const a = structuredOutput({ $id: 'https://example.com/reply', type: 'object', required: ['a'] })
    const b = structuredOutput({ $id: 'https://example.com/reply', type: 'object', required: ['b'] })
    expect(a.parse('{"a": 1}')).toEqual({ a: 1 })
    expect(b.parse('{"b": 1}')).toEqual({ b: 1 })
    expect(rejection(() => b.parse('{"a": 1}'))).toBeInstanceOf(MalformedOutputError)
  })

  it('local $refs and recursion work; format is an annotation (ajv-formats is not a dependency)', () => {
    const tree = {
      $defs: { node: { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/$defs/node' } } } } },
      $ref: '#/$defs/node',
    }
    expect(structuredOutput(tree).parse('{"kids": [{"kids": []}]}')).toEqual({ kids: [{ kids: [] }] })
    expect(rejection(() => structuredOutput(tree).parse('{"kids": [1]}'))).toBeInstanceOf(MalformedOutputError)
    expect(structuredOutput(ORDER).parse('{"total": 1, "items": [], "email": "not an email"}')).toMatchObject({ email: 'not an email' })
  })

  it('states the expected format as the schema\'s JSON, cut at ~2 KB', () => {
    expect(structuredOutput(ORDER).format)
      .toBe(`Reply with only a JSON value, no prose, matching this JSON Schema: ${JSON.stringify(ORDER)}`)
    const big = { type: 'object', description: 'x'.repeat(5_000) }
    const format = structuredOutput(big).format
    expect(format.endsWith('…')).toBe(true)
    expect(format.length).toBeLessThanOrEqual(MAX_FORMAT_CHARS + 80)
  })

  it.each([
    ['an invalid type', { type: 'whole-number' }, /is not a valid JSON Schema: schema is invalid/],
    ['an unresolvable $ref', { $ref: 'https://example.com/elsewhere.json' }, /is not a valid JSON Schema: can't resolve reference/],
    ['an $async schema', { $async: true, type: 'object' }, /must not be an \$async schema/],
    ['not an object', [] as unknown as Record<string, unknown>, /must be a JSON Schema object/],
  ])('a bad schema (%s) is a config error naming responseSchema', (_name, schema, problem) => {
    const error = rejection(() => structuredOutput(schema))
    expect(error).toBeInstanceOf(BreakwaterConfigError)
    expect(error).toMatchObject({ source: 'breakwater/invoker', field: 'responseSchema' })
    expect((error as Error).message).toMatch(problem)
  })
})
