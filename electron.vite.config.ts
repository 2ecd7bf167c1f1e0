// `npm run build:app` (electron-vite build) writes the three parts the app loads:
//   out/main/index.js      the main process, ESM (package.json "main" points here)
//   out/preload/index.cjs  the preload, CommonJS: a sandboxed preload cannot load ES modules
//   out/renderer/          the window, built from renderer/vite.config.ts (owned by the renderer)
// Dependencies stay external in main (node_modules ships with the app; `usb` is a native addon).
import { fileURLToPath } from 'node:url';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import { mergeConfig, type UserConfig } from 'vite';
import { ipcWire } from './main/app/ipc/contract.js';
import renderer from './renderer/vite.config.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      target: 'node22',
      sourcemap: true,
      lib: { entry: here('main/app/index.ts'), formats: ['es'], fileName: () => 'index.js' },
    },
  },
  preload: {
    // The IPC table's wire part (method, channel, direction), written into the preload: the table itself
    // holds zod schemas the sandboxed preload has no use for (main validates).
    define: { __PLAUD_IPC__: JSON.stringify(ipcWire()) },
    build: {
      target: 'node22',
      sourcemap: 'inline',
      lib: { entry: here('preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
    },
  },
  // The renderer's own config, with the entry named (electron-vite looks in src/renderer by default).
  renderer: mergeConfig(renderer as UserConfig, { build: { rollupOptions: { input: here('renderer/index.html') } } }),
});
