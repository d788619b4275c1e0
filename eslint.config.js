/**
 * ESLint 9 flat config, run by `npm test` (through `npm run lint`) so what review keeps finding does not come back:
 * 260-character lines, `...(cond && { x })` spreads, `any`, dead imports, `==`, promises nobody awaits.
 *
 * ESLint + typescript-eslint rather than Biome (which does install here): Biome has no AST-selector rule for the
 * conditional spread, its line width is a formatter setting rather than a lint rule, and its floating-promise check
 * is not type-aware. Typed linting (projectService over tsconfig.json) covers every .ts file: a dropped promise is a
 * silent bug in a user's Lambda and a test that can never fail. The whole run takes ~15 s on two cores.
 *
 * Import circles are checked by test/tools/layering.test.ts (a regex over specifiers, as for the folder rules), not
 * by eslint-plugin-import-x here: that needs a native resolver package and walks the module graph from every file.
 */
import js from '@eslint/js'
import stylistic from '@stylistic/eslint-plugin'
import { defineConfig } from 'eslint/config'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const CONDITIONAL_SPREAD =
  'No conditional spread (`...(cond && { x })`, `...(c ? { x } : {})`): it hides which keys the object has and'
  + ' allocates a throwaway object. Build the object, then set the optional key in an explicit `if`, or call a small'
  + ' helper that returns the finished object.'

/**
 * A line holding only one string or template literal (plus a leading `+` and trailing `,`, `)`, `;`, `+`): a long
 * message on its own line may run over the limit, since splitting the text hurts grepping for it.
 */
const STRING_ONLY_LINE = String.raw`^\s*(?:\+\s*)?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|` + '`'
  + String.raw`(?:[^` + '`' + String.raw`\\]|\\.)*` + '`' + String.raw`)[\s,);+]*$`

// TEMPORARY: fixed after the engine rewrite lands. src/core, src/middlewares and their tests (test/core,
// test/middlewares, test/scenarios) are being rewritten on another branch, so their violations are left as they are.
// Each entry switches one rule off for the files that still break it; every other rule applies to them. To check
// a file, delete its line and run `npx eslint <file>`; an entry goes with its last file.
const PENDING_ENGINE_REWRITE = [
  {
    rule: '@stylistic/max-len',
    files: [
      'src/core/backoff/policy.ts',
      'src/core/breaker/circuit-breaker.ts',
      'src/core/breaker/fallback-store.ts',
      'src/core/breaker/policy.ts',
      'src/core/breaker/types.ts',
      'src/core/fallback/policy.ts',
      'src/core/health/latency.ts',
      'src/core/health/order.ts',
      'src/core/health/speed.ts',
      'src/core/invoker/attempt.ts',
      'src/core/invoker/cascade.ts',
      'src/core/invoker/converse-adapter.ts',
      'src/core/output/json-schema.ts',
      'src/core/output/json-text.ts',
      'src/core/routing/canary.ts',
      'src/core/routing/chooser.ts',
      'src/core/routing/rules.ts',
      'src/core/show.ts',
      'src/core/targets.ts',
      'src/middlewares/bedrock-invoker.ts',
      'src/middlewares/breakwater.ts',
      'src/middlewares/circuit-breaker.ts',
      'src/middlewares/graceful-degradation.ts',
      'src/middlewares/options.ts',
      'src/middlewares/router.ts',
      'src/middlewares/routes.ts',
      'src/middlewares/routing-options.ts',
      'src/middlewares/state.ts',
      'test/core/backoff/jitter.test.ts',
      'test/core/breaker/circuit-breaker.test.ts',
      'test/core/breaker/fallback-store.test.ts',
      'test/core/breaker/fleet.property.test.ts',
      'test/core/breaker/machine.test.ts',
      'test/core/error-report.test.ts',
      'test/core/failure.test.ts',
      'test/core/fallback/policy.test.ts',
      'test/core/invoker/cascade-health.test.ts',
      'test/core/invoker/cascade.test.ts',
      'test/core/invoker/harness.ts',
      'test/core/output/json-schema.test.ts',
      'test/core/routing/geography.test.ts',
      'test/core/routing/hash.test.ts',
      'test/core/routing/predicates.test.ts',
      'test/core/routing/request-keys.test.ts',
      'test/core/routing/rules.test.ts',
      'test/middlewares/circuit-breaker-table.test.ts',
      'test/middlewares/composition.test.ts',
      'test/middlewares/graceful-degradation.test.ts',
      'test/middlewares/invoker.test.ts',
      'test/middlewares/options-fuzz.test.ts',
      'test/middlewares/options-tree.ts',
      'test/middlewares/options.test.ts',
      'test/middlewares/reply-cache.test.ts',
      'test/middlewares/router-rules.test.ts',
      'test/middlewares/routes-state.test.ts',
      'test/scenarios/all-down.test.ts',
      'test/scenarios/broken-replies.test.ts',
      'test/scenarios/cached-fallback.test.ts',
      'test/scenarios/caller-fault.test.ts',
      'test/scenarios/context-overflow.test.ts',
      'test/scenarios/idempotency.test.ts',
      'test/scenarios/middy-timeout.test.ts',
      'test/scenarios/no-user-text.test.ts',
      'test/scenarios/structured-output.test.ts',
    ],
  },
  {
    rule: '@typescript-eslint/no-import-type-side-effects',
    files: [
      'src/core/breaker/fallback-store.ts',
      'test/middlewares/router-rules.test.ts',
      'test/scenarios/all-down.test.ts',
      'test/scenarios/broken-replies.test.ts',
      'test/scenarios/cached-fallback.test.ts',
      'test/scenarios/caller-fault.test.ts',
      'test/scenarios/context-overflow.test.ts',
      'test/scenarios/deadline.test.ts',
      'test/scenarios/hang.test.ts',
      'test/scenarios/invoke-model.test.ts',
      'test/scenarios/middy-timeout.test.ts',
      'test/scenarios/one-call-per-attempt.test.ts',
      'test/scenarios/regional-outage.test.ts',
      'test/scenarios/slow-calls.test.ts',
      'test/scenarios/sqs-batch.test.ts',
      'test/scenarios/structured-output.test.ts',
      'test/scenarios/throttling.test.ts',
    ],
  },
  {
    rule: 'no-restricted-syntax',
    files: [
      'src/core/health/latency.ts',
      'src/core/invoker/cascade.ts',
      'src/core/invoker/converse-adapter.ts',
      'src/core/invoker/listeners.ts',
      'src/core/routing/canary.ts',
      'src/core/routing/chooser.ts',
      'src/middlewares/bedrock-invoker.ts',
      'src/middlewares/breakwater.ts',
      'src/middlewares/circuit-breaker.ts',
      'src/middlewares/router.ts',
      'src/middlewares/routes.ts',
      'test/core/invoker/cascade-health.test.ts',
      'test/core/routing/predicates.test.ts',
      'test/middlewares/router-rules.test.ts',
      'test/scenarios/sqs-batch.test.ts',
    ],
  },
  {
    rule: '@typescript-eslint/consistent-type-imports',
    files: [
      'src/middlewares/reply-cache.ts',
      'test/core/targets.test.ts',
    ],
  },
  {
    rule: '@typescript-eslint/no-unused-vars',
    files: [
      'test/core/invoker/cascade-health.test.ts',
      'test/core/invoker/cascade.test.ts',
    ],
  },
]

// TEMPORARY: outside the folders the lint branch was asked to fix (src/index.ts, test/bench, test/docs,
// test/examples, test/support); the same mechanism, for whoever owns them next.
const PENDING_OUTSIDE_LINT_BRANCH = [
  {
    rule: '@stylistic/max-len',
    files: [
      'src/index.ts',
      'test/bench/chaos-smoke.test.ts',
      'test/docs/readme-prompt-of.test.ts',
      'test/examples/sample-handler.test.ts',
      'test/support/fake-bedrock-server.ts',
      'test/support/scenario.ts',
      'test/support/sim-clock.ts',
    ],
  },
  {
    rule: 'no-restricted-syntax',
    files: [
      'test/support/fleet.ts',
    ],
  },
]

export default defineConfig(
  {
    // Build output, installed packages and generated reports: not our source.
    ignores: [
      '**/node_modules/**',
      'dist/**',
      'coverage/**',
      '.aws-sam/**',
      'layer/nodejs/**',
      'layer/functions/**',
      'bench/results/**',
      'bench/chaos/out/**',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    plugins: { '@stylistic': stylistic },
    rules: {
      // 140 columns for code and comments; URLs, regexes and string-only lines may run over. Not `ignoreStrings`:
      // that skips every line that merely contains a string, which is how 263-character
      // `throw new BreakwaterConfigError(SOURCE, 'field', `...`)` lines got in.
      '@stylistic/max-len': ['error', {
        code: 140,
        tabWidth: 2,
        ignoreUrls: true,
        ignoreRegExpLiterals: true,
        ignorePattern: STRING_ONLY_LINE,
      }],
      'no-restricted-syntax': ['error',
        { selector: "ObjectExpression > SpreadElement > LogicalExpression[operator='&&'].argument", message: CONDITIONAL_SPREAD },
        { selector: 'ObjectExpression > SpreadElement > ConditionalExpression.argument', message: CONDITIONAL_SPREAD },
      ],
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {
        args: 'after-used',
        argsIgnorePattern: '^_',
        varsIgnorePattern: '^_',
        caughtErrors: 'none',
        ignoreRestSiblings: true,
      }],
      // verbatimModuleSyntax already makes tsc reject a type imported as a value; these keep the two spellings apart.
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  // Last, so they override the blocks above.
  [...PENDING_ENGINE_REWRITE, ...PENDING_OUTSIDE_LINT_BRANCH].map(({ rule, files }) =>
    ({ name: `temporary/${rule}`, files, rules: { [rule]: 'off' } })),
)
