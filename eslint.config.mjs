// ESLint 9 flat config: correctness rules (not style: formatting is left as it is written) and the
// thread boundary. `npm run lint` must stay clean; `npm test` runs it first.
import js from '@eslint/js'
import svelte from 'eslint-plugin-svelte'
import globals from 'globals'
import tseslint from 'typescript-eslint'

// TF.js and onnxruntime run only in the engine worker threads (DESIGN.md). Files of the main
// thread (Electron main, CLI, browser-mode server, the studio service and what they load) may not
// import them at all, not even lazily, and may load sharp only lazily (`await import('sharp')`,
// when they first decode), never at start. `npm run check:bundle` checks the same on the built
// bundle, where transitive imports show up too.
export const MAIN_THREAD_FILES = [
  'src/main/index.ts',
  'src/main/cli.ts',
  'src/main/errors.ts',
  'src/main/electron/**',
  'src/main/cli/**',
  'src/main/server/**',
  'src/main/studio/**',
  'src/main/jobs/**',
  'src/main/library/**',
  'src/main/project/**',
  'src/main/store/**',
  'src/main/media/**',
  'src/main/tryit/**',
  // shared by both threads, so held to the main thread's rule
  'src/main/dataset/**',
  'src/main/util/**',
  'src/preload/**',
  'src/shared/**'
]
const workerOnlyMessage = 'TF.js and onnxruntime-node run only in the engine workers: call a worker task (src/main/engine/tasks) instead.'
const sharpMessage = "The main thread loads sharp only when it first decodes: use `await import('sharp')` (a type-only import is fine)."

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench/results/**', '.scratch/**', '**/*.thaw/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names are deliberately unused (a handler's signature, a destructured rest)
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // tsc already reports undefined names with the real types; no-undef misreads TS globals
      'no-undef': 'off'
    }
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteConfig: './svelte.config.mjs' }
    }
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    // the grid model replaces its Sets and Maps wholesale ($state.raw) or keeps them private and
    // non-reactive on purpose; SvelteSet would make every lookup a dependency
    rules: { 'svelte/prefer-svelte-reactivity': 'off' }
  },
  // Playwright's fixtures are declared by destructuring, `{}` when a hook needs none
  { files: ['e2e/**'], rules: { 'no-empty-pattern': 'off' } },
  {
    files: ['**/*.cjs', 'bin/**'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  {
    // workers load onnxruntime-node on first use, through one loader (see that file for why)
    files: ['src/main/**'],
    ignores: ['src/main/engine/onnxruntime.ts', 'src/main/export/samples/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'onnxruntime-node', message: 'load it lazily with loadOnnxRuntime() (src/main/engine/onnxruntime.ts)', allowTypeImports: true }] }
      ]
    }
  },
  {
    files: MAIN_THREAD_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(@tensorflow/|onnxruntime-node(/|$))', message: workerOnlyMessage, allowTypeImports: true },
            { regex: '^sharp(/|$)', message: sharpMessage, allowTypeImports: true }
          ]
        }
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "ImportExpression[source.value=/^(@tensorflow\\/|onnxruntime-node)/]", message: workerOnlyMessage },
        { selector: "CallExpression[callee.name='require'][arguments.0.value=/^(@tensorflow\\/|onnxruntime-node|sharp$)/]", message: workerOnlyMessage }
      ]
    }
  }
)
