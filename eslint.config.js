import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const RAW_IPC =
  'Raw IPC (ipcMain, ipcRenderer, webContents.send) belongs in main/app/ipc/ or preload/: add a row to the table in main/app/ipc/contract.ts.';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'release/**', 'node_modules/**', 'test-artifacts/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // Prettier wraps code at 120; long strings, templates, URLs and regular expressions stay whole (a broken message
      // is harder to grep for), everything else, comments included, fits the width.
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true, ignoreRegExpLiterals: true },
      ],
    },
  },
  {
    // Plain JavaScript entry points run in Node.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
      },
    },
  },
  {
    // Raw IPC lives in two rooms only: main/app/ipc/ (handlers, pushes) and preload/. Everything else goes
    // through them, so every message passes the contract's table, its schemas and the sender check.
    files: ['main/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.tsx', 'scripts/**/*.ts'],
    ignores: ['main/app/ipc/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', importNames: ['ipcMain', 'ipcRenderer'], message: RAW_IPC }] },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'MemberExpression[property.name=/^ipc(Main|Renderer)$/]', message: RAW_IPC },
        { selector: "MemberExpression[property.name='send'][object.property.name='webContents']", message: RAW_IPC },
        { selector: "MemberExpression[property.name='send'][object.name='webContents']", message: RAW_IPC },
      ],
    },
  },
  {
    // The window imports from main only the IPC contract (types, and the state types it re-exports).
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The window talks to main only through window.plaudSync.' }],
          patterns: [
            {
              regex: '(^|/)main/(?!app/ipc/contract\\.js$)',
              message:
                'The renderer imports from main only main/app/ipc/contract.js, which re-exports the types it needs.',
            },
          ],
        },
      ],
    },
  },
  {
    // The engine runs headless (CLI, tests) and must never depend on Electron.
    files: ['main/sync/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'main/sync must not import electron' }] },
      ],
    },
  },
);
