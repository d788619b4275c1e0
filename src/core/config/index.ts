/** Declarative option schemas and the walker that checks them (see schema.ts). */
export * from './schema.js'
export { parseOptions, parseValue } from './parse.js'
export { mustOf, numberRule } from './describe.js'
