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
      '.out/**',
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
)
