/**
 * A short, never-throwing rendering of any option value for a config error's message. `JSON.stringify` throws on a
 * BigInt, a template literal throws on a Symbol, `[].join` throws on an array holding one: a message builder must
 * not turn a bad option into a TypeError.
 */
const MAX_CHARS = 80

export function show(value: unknown): string {
  return cut(render(value))
}

/** JSON.stringify's replacer: a BigInt or Symbol nested in an object is shown as in `render`, not thrown on. */
function showable(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v.toString()}n` : typeof v === 'symbol' ? v.toString() : v
}

function render(value: unknown): string {
  switch (typeof value) {
    case 'string': return JSON.stringify(value)
    case 'bigint': return `${value.toString()}n`
    case 'symbol': return value.toString()
    case 'function': return 'a function'
    case 'undefined': return 'undefined'
    case 'number': case 'boolean': return String(value)
  }
  if (value === null) return 'null'
  try {
    return JSON.stringify(value, showable) ?? 'an object'
  } catch {
    return Array.isArray(value) ? 'an array' : 'an object'
  }
}

const cut = (s: string): string => (s.length <= MAX_CHARS ? s : `${s.slice(0, MAX_CHARS - 1)}…`)
