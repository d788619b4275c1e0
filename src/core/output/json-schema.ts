/**
 * Structured output: a reply's text must be JSON that validates against the caller's JSON Schema. Validation is
 * ajv's (a well-kept validator, not ours), kept behind this one module so the rest of the engine does not know it.
 *
 * ajv is pure JavaScript with no I/O, so it may live in core (which only must not import AWS or Middy).
 * Each distinct schema object is compiled once per container: compiling is ~100x slower than validating, so hoist
 * the schema to module scope rather than writing it inline in the handler (a fresh object is a fresh compile).
 */
import type { Ajv, ValidateFunction } from 'ajv'
import { BreakwaterConfigError, MalformedOutputError } from '../errors.js'
import { parseJsonText } from './json-text.js'

/** A JSON Schema (draft-07 / 2019-09 keywords as ajv's default build reads them), as a plain object. */
export type JsonSchema = Readonly<Record<string, unknown>>

export interface StructuredOutput {
  /** The reply's JSON value; throws MalformedOutputError with a concise reason when it is not JSON or not valid. */
  parse(text: string): unknown
  /** A compact statement of the expected format, added to the re-ask after a rejected reply. */
  readonly format: string
}

const SOURCE = 'breakwater/invoker'
/** The schema quoted in a re-ask is cut here: enough to show the shape, not a prompt of its own. */
export const MAX_FORMAT_CHARS = 2_000
const MAX_REASON_CHARS = 500

/**
 * `strict: false`: schemas shared with prompts and API docs carry extra annotations (`example`, vendor keywords);
 * `validateFormats: false`: `format` needs the ajv-formats plugin, which is not a dependency, so it is an annotation
 * here; `addUsedSchema: false`: two schemas with the same `$id` must not collide in the shared instance.
 */
let ajv: Ajv | undefined
const compiled = new WeakMap<object, StructuredOutput>()

/**
 * Loads ajv, once per container. Kept out of the module's static imports so a function that never asks for
 * structured output does not pay for it at cold start (about 13 ms of the layer entry's import).
 */
export async function loadSchemaValidator(): Promise<void> {
  if (ajv) return
  const { Ajv: AjvClass } = await import('ajv')
  ajv ??= new AjvClass({ strict: false, validateFormats: false, addUsedSchema: false, allErrors: false, logger: false })
}

function loaded(): Ajv {
  if (!ajv) throw new Error('breakwater: loadSchemaValidator() must be awaited before structuredOutput()')
  return ajv
}

/** The validator for `schema`, compiled on first use; throws BreakwaterConfigError when it is not a usable schema. */
export function structuredOutput(schema: JsonSchema): StructuredOutput {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new BreakwaterConfigError(SOURCE, 'responseSchema', 'must be a JSON Schema object')
  }
  const known = compiled.get(schema)
  if (known) return known
  const made = { parse: parser(compile(schema)), format: formatOf(schema) }
  compiled.set(schema, made)
  return made
}

function compile(schema: JsonSchema): ValidateFunction {
  if (schema.$async === true) throw new BreakwaterConfigError(SOURCE, 'responseSchema', 'must not be an $async schema')
  const validator = loaded()
  try {
    return validator.compile(schema)
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new BreakwaterConfigError(SOURCE, 'responseSchema', `is not a valid JSON Schema: ${reason}`, cause)
  } finally {
    // ajv keeps every compiled schema in a Map of its own; ours is a WeakMap, so an unused schema can be collected.
    validator.removeSchema(schema)
  }
}

function parser(validate: ValidateFunction): (text: string) => unknown {
  return (text) => {
    const json = parseJsonText(text)
    if (!json.ok) throw new MalformedOutputError(json.reason, text)
    if (!validate(json.value)) {
      const reason = `the reply does not match the schema: ${loaded().errorsText(validate.errors, { dataVar: 'reply' })}`
      throw new MalformedOutputError(cut(reason, MAX_REASON_CHARS), text)
    }
    return json.value
  }
}

function formatOf(schema: JsonSchema): string {
  return `Reply with only a JSON value, no prose, matching this JSON Schema: ${cut(JSON.stringify(schema), MAX_FORMAT_CHARS)}`
}

const cut = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`)
