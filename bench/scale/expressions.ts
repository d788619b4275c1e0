/**
 * DynamoDB's expression language, the part a breaker store can use, for the in-process table of the scale model
 * (`table-model.ts`): condition and key-condition expressions (comparisons, BETWEEN, IN, AND/OR/NOT, parentheses,
 * attribute_exists, attribute_not_exists, begins_with, contains, size) and update expressions (SET with `+`/`-`,
 * if_not_exists and list_append; ADD; REMOVE), over `#name` / `:value` placeholders and paths with `.` and `[n]`.
 * Anything else throws, naming it: the model must refuse what it does not know rather than answer differently
 * from DynamoDB (test/bench/scale-table.dynamodb-local.test.ts holds it to DynamoDB Local).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb'

export type Item = Record<string, AttributeValue>
export interface Placeholders {
  readonly names?: Record<string, string> | undefined
  readonly values?: Record<string, AttributeValue> | undefined
}

type Path = readonly (string | number)[]

const TOKEN = /\s*(<>|<=|>=|[()=<>,.[\]+-]|#[\w]+|:[\w]+|[A-Za-z_][\w]*|\d+)/y

/** Tokens per expression text: a Query evaluates its key condition once per item, and a fleet sends the same few texts. */
const TOKENS = new Map<string, readonly string[]>()

function tokenize(text: string): readonly string[] {
  const known = TOKENS.get(text)
  if (known) return known
  const tokens: string[] = []
  TOKEN.lastIndex = 0
  let m: RegExpExecArray | null
  while (TOKEN.lastIndex < text.length && (m = TOKEN.exec(text)) !== null) tokens.push(m[1] as string)
  const rest = text.slice(TOKEN.lastIndex)
  if (rest.trim() !== '') throw new Error(`scale model: expression "${text}": cannot read "${rest}"`)
  TOKENS.set(text, tokens)
  return tokens
}

class Parser {
  readonly #tokens: readonly string[]
  #at = 0
  constructor(readonly text: string, readonly p: Placeholders) {
    this.#tokens = tokenize(text)
  }
  error(why: string): Error { return new Error(`scale model: expression "${this.text}": ${why}`) }
  peek(): string | undefined { return this.#tokens[this.#at] }
  next(): string {
    const t = this.#tokens[this.#at++]
    if (t === undefined) throw this.error('ends too soon')
    return t
  }
  eat(t: string): boolean {
    if (this.peek()?.toUpperCase() !== t.toUpperCase()) return false
    this.#at++
    return true
  }
  expect(t: string): void { if (!this.eat(t)) throw this.error(`expected "${t}" at "${this.peek() ?? 'the end'}"`) }
  done(): boolean { return this.#at >= this.#tokens.length }

  path(): Path {
    const parts: (string | number)[] = [this.name(this.next())]
    for (;;) {
      if (this.eat('.')) parts.push(this.name(this.next()))
      else if (this.eat('[')) { parts.push(Number(this.next())); this.expect(']') } else return parts
    }
  }
  name(t: string): string {
    if (!t.startsWith('#')) return t
    const n = this.p.names?.[t]
    if (n === undefined) throw this.error(`no ExpressionAttributeNames entry for ${t}`)
    return n
  }
  value(t: string): AttributeValue {
    const v = this.p.values?.[t]
    if (v === undefined) throw this.error(`no ExpressionAttributeValues entry for ${t}`)
    return v
  }
}

export function getPath(item: Item, path: Path): AttributeValue | undefined {
  let v: AttributeValue | undefined = { M: item }
  for (const part of path) {
    if (v === undefined) return undefined
    v = typeof part === 'number' ? ('L' in v ? v.L?.[part] : undefined) : ('M' in v ? v.M?.[part] : undefined)
  }
  return v
}

function setPath(item: Item, path: Path, value: AttributeValue | undefined): void {
  let parent: AttributeValue = { M: item }
  for (const part of path.slice(0, -1)) {
    const child: AttributeValue | undefined = typeof part === 'number' ? parent.L?.[part] : parent.M?.[part]
    if (child === undefined) throw new Error(`scale model: the document path ${path.join('.')} does not exist`)
    parent = child
  }
  const last = path.at(-1) as string | number
  if (typeof last === 'number') {
    const list = parent.L
    if (list === undefined) throw new Error(`scale model: ${path.join('.')} indexes something that is not a list`)
    if (value === undefined) list.splice(last, 1)
    else list[Math.min(last, list.length)] = value
  } else {
    const map = parent.M
    if (map === undefined) throw new Error(`scale model: ${path.join('.')} names into something that is not a map`)
    if (value === undefined) delete map[last]
    else map[last] = value
  }
}

const num = (v: AttributeValue | undefined, p: Parser): number => {
  if (v === undefined || !('N' in v) || v.N === undefined) throw p.error('an arithmetic operand is not a number')
  return Number(v.N)
}

function compare(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined
  if ('N' in a && a.N !== undefined && 'N' in b && b.N !== undefined) return Number(a.N) - Number(b.N)
  if ('S' in a && a.S !== undefined && 'S' in b && b.S !== undefined) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0
  return undefined
}
const equal = (a: AttributeValue | undefined, b: AttributeValue | undefined): boolean =>
  a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b)

function size(v: AttributeValue | undefined): AttributeValue | undefined {
  if (v === undefined) return undefined
  if ('S' in v && v.S !== undefined) return { N: String(Buffer.byteLength(v.S)) }
  if ('L' in v && v.L !== undefined) return { N: String(v.L.length) }
  if ('M' in v && v.M !== undefined) return { N: String(Object.keys(v.M).length) }
  return undefined
}

function operand(p: Parser, item: Item): AttributeValue | undefined {
  const t = p.peek() as string
  if (t.startsWith(':')) return p.value(p.next())
  if (t.toLowerCase() === 'size') {
    p.next(); p.expect('(')
    const v = size(getPath(item, p.path()))
    p.expect(')')
    return v
  }
  return getPath(item, p.path())
}

const FUNCTIONS = new Set(['attribute_exists', 'attribute_not_exists', 'begins_with', 'contains', 'attribute_type'])

function primary(p: Parser, item: Item): boolean {
  if (p.eat('(')) {
    const v = or(p, item)
    p.expect(')')
    return v
  }
  const head = (p.peek() ?? '').toLowerCase()
  if (FUNCTIONS.has(head)) {
    p.next(); p.expect('(')
    const v = getPath(item, p.path())
    let result: boolean
    if (head === 'attribute_exists') result = v !== undefined
    else if (head === 'attribute_not_exists') result = v === undefined
    else {
      p.expect(',')
      const arg = operand(p, item)
      if (head === 'attribute_type') throw p.error('attribute_type is not modelled')
      const s = v && 'S' in v ? v.S : undefined
      const needle = arg && 'S' in arg ? arg.S : undefined
      if (head === 'begins_with') result = s !== undefined && needle !== undefined && s.startsWith(needle)
      else result = (s !== undefined && needle !== undefined && s.includes(needle)) || (v?.L?.some((e) => equal(e, arg)) ?? false)
    }
    p.expect(')')
    return result
  }
  const left = operand(p, item)
  const op = p.next().toUpperCase()
  if (op === 'BETWEEN') {
    const low = operand(p, item)
    p.expect('AND')
    const high = operand(p, item)
    const a = compare(left, low)
    const b = compare(left, high)
    return a !== undefined && b !== undefined && a >= 0 && b <= 0
  }
  if (op === 'IN') {
    p.expect('(')
    let found = false
    do found = equal(left, operand(p, item)) || found
    while (p.eat(','))
    p.expect(')')
    return found
  }
  const right = operand(p, item)
  if (op === '=') return equal(left, right)
  if (op === '<>') return left !== undefined && right !== undefined && !equal(left, right)
  const c = compare(left, right)
  if (c === undefined) return false
  if (op === '<') return c < 0
  if (op === '<=') return c <= 0
  if (op === '>') return c > 0
  if (op === '>=') return c >= 0
  throw p.error(`unknown comparator ${op}`)
}

function not(p: Parser, item: Item): boolean { return p.eat('NOT') ? !not(p, item) : primary(p, item) }
function and(p: Parser, item: Item): boolean {
  let v = not(p, item)
  while (p.eat('AND')) v = not(p, item) && v
  return v
}
function or(p: Parser, item: Item): boolean {
  let v = and(p, item)
  while (p.eat('OR')) v = and(p, item) || v
  return v
}

/** Does `item` (an empty one for "no item") satisfy the condition? */
export function evaluateCondition(text: string, item: Item, p: Placeholders): boolean {
  const parser = new Parser(text, p)
  const v = or(parser, item)
  if (!parser.done()) throw parser.error(`unexpected "${parser.peek()}"`)
  return v
}

function setTerm(p: Parser, item: Item): AttributeValue | undefined {
  const head = (p.peek() ?? '').toLowerCase()
  if (head === 'if_not_exists') {
    p.next(); p.expect('(')
    const current = getPath(item, p.path())
    p.expect(',')
    const fallback = operand(p, item)
    p.expect(')')
    return current ?? fallback
  }
  if (head === 'list_append') {
    p.next(); p.expect('(')
    const a = setTerm(p, item)
    p.expect(',')
    const b = setTerm(p, item)
    p.expect(')')
    if (!a?.L || !b?.L) throw p.error('list_append of something that is not a list')
    return { L: [...a.L, ...b.L] }
  }
  return operand(p, item)
}

const CLAUSES = new Set(['SET', 'ADD', 'REMOVE', 'DELETE'])

/** Applies an update expression to `item` in place (every operand read from the item as it was before). */
export function applyUpdate(text: string, item: Item, p: Placeholders): void {
  const parser = new Parser(text, p)
  const before: Item = JSON.parse(JSON.stringify(item)) as Item
  const writes: [Path, AttributeValue | undefined][] = []
  while (!parser.done()) {
    const clause = parser.next().toUpperCase()
    if (!CLAUSES.has(clause)) throw parser.error(`unknown clause ${clause}`)
    do {
      const path = parser.path()
      if (clause === 'REMOVE') { writes.push([path, undefined]); continue }
      if (clause === 'DELETE') throw parser.error('DELETE (from a set) is not modelled')
      if (clause === 'ADD') {
        const v = parser.value(parser.next())
        const current = getPath(before, path)
        if (!('N' in v)) throw parser.error('ADD of anything but a number is not modelled')
        writes.push([path, { N: String((current === undefined ? 0 : num(current, parser)) + num(v, parser)) }])
        continue
      }
      parser.expect('=')
      let v = setTerm(parser, before)
      const op = parser.peek()
      if (op === '+' || op === '-') {
        parser.next()
        const right = setTerm(parser, before)
        v = { N: String(op === '+' ? num(v, parser) + num(right, parser) : num(v, parser) - num(right, parser)) }
      }
      if (v === undefined) throw parser.error(`SET ${path.join('.')} to an attribute that does not exist`)
      writes.push([path, v])
    } while (parser.eat(','))
  }
  for (const [path, v] of writes) setPath(item, path, v)
}
