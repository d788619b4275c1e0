/**
 * Loads a CloudFormation / SAM YAML template with its short tags as the long JSON form: `!Ref X` → `{ Ref: 'X' }`,
 * `!GetAtt A.B` → `{ 'Fn::GetAtt': ['A', 'B'] }`, `!Sub s` → `{ 'Fn::Sub': s }`, and so on for every intrinsic.
 * Shared by local invoke and the template tests.
 */
import { readFileSync } from 'node:fs'
import yaml from 'js-yaml'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }

/** The intrinsic functions in their long form (`Ref`, `Condition`, `Fn::Sub`, ...), the Rules section's included. */
export const INTRINSICS = ['Ref', 'Condition', ...['And', 'Base64', 'Cidr', 'Equals', 'FindInMap', 'GetAtt', 'GetAZs', 'If',
  'ImportValue', 'Join', 'Not', 'Or', 'Select', 'Split', 'Sub', 'ToJsonString', 'Transform', 'Length',
  'Contains', 'EachMemberEquals', 'EachMemberIn', 'RefAll', 'ValueOf', 'ValueOfAll'].map((f) => `Fn::${f}`)]

const SCHEMA = yaml.DEFAULT_SCHEMA.extend(INTRINSICS.flatMap((name) => (['scalar', 'sequence', 'mapping'] as const).map((kind) =>
  new yaml.Type(`!${name.replace('Fn::', '')}`, {
    kind,
    construct: (data: unknown) => ({ [name]: name === 'Fn::GetAtt' && typeof data === 'string' ? data.split(/\.(.*)/s, 2) : data }),
  }))))

export function loadTemplate(path: string): JsonObject {
  return yaml.load(readFileSync(path, 'utf8'), { schema: SCHEMA, filename: path }) as JsonObject
}

export const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)
export const asArray = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])
