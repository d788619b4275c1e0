/**
 * Loads a CloudFormation / SAM YAML template with its short tags as the long JSON form: `!Ref X` → `{ Ref: 'X' }`,
 * `!GetAtt A.B` → `{ 'Fn::GetAtt': ['A', 'B'] }`, `!Sub s` → `{ 'Fn::Sub': s }`, and so on for every intrinsic.
 *
 * js-yaml is not a declared dependency (Jest brings js-yaml 3 through istanbul); it is loaded with createRequire and
 * typed here by the members used, which js-yaml 3 and 4 both have, so declaring js-yaml@4 later changes nothing.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }

interface YamlType { readonly tag: string }
interface YamlSchema { extend?(types: YamlType[]): YamlSchema }
interface JsYaml {
  Type: new (tag: string, options: { kind: 'scalar' | 'sequence' | 'mapping'; construct: (data: unknown) => unknown }) => YamlType
  DEFAULT_SCHEMA?: YamlSchema
  DEFAULT_SAFE_SCHEMA?: YamlSchema
  Schema: { create?(base: YamlSchema[], types: YamlType[]): YamlSchema }
  load(text: string, options: { schema: YamlSchema }): unknown
}

const INTRINSICS = ['Ref', 'Condition', ...['And', 'Base64', 'Cidr', 'Equals', 'FindInMap', 'GetAtt', 'GetAZs', 'If',
  'ImportValue', 'Join', 'Not', 'Or', 'Select', 'Split', 'Sub', 'ToJsonString', 'Transform', 'Length'].map((f) => `Fn::${f}`)]

function cloudFormationSchema(yaml: JsYaml): YamlSchema {
  const types = INTRINSICS.flatMap((name) => (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(`!${name.replace('Fn::', '')}`, {
    kind,
    construct: (data) => ({ [name]: name === 'Fn::GetAtt' && typeof data === 'string' ? data.split(/\.(.*)/s, 2) : data }),
  })))
  if (yaml.DEFAULT_SCHEMA?.extend) return yaml.DEFAULT_SCHEMA.extend(types) // js-yaml 4
  if (yaml.Schema.create && yaml.DEFAULT_SAFE_SCHEMA) return yaml.Schema.create([yaml.DEFAULT_SAFE_SCHEMA], types) // js-yaml 3
  throw new Error('unsupported js-yaml version')
}

export function loadTemplate(path: string): JsonObject {
  const yaml = createRequire(import.meta.url)('js-yaml') as JsYaml
  return yaml.load(readFileSync(path, 'utf8'), { schema: cloudFormationSchema(yaml) }) as JsonObject
}

export const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)
export const asArray = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])
