#!/usr/bin/env node
// `npm run build`: the CLI (main/cli and the engine it runs) bundled by esbuild into dist/cli/, one chunk per command
// plus shared chunks. A bundle starts faster than the same code as hundreds of module files: Node resolves, reads
// and compiles one file per chunk, and only what is imported survives (zod's unused locales, for one). The CLI's
// start-up is time a plugged-in recorder waits for (docs/benchmarks-device-model.md).
// Type checking is `npm run typecheck`; this only translates. Packages with native or WebAssembly parts stay
// outside the bundle and load from node_modules. dist/cli/meta.json maps each chunk back to its source files (the
// start-up test reads it to name what a command loaded).
// Plain JavaScript on purpose: it runs on install (`prepare`), before anything else is built.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// zod's entry re-exports every translation of its messages (`z.locales`, 64 files, about 260 KB of the bundle).
// Our messages are our own and zod's default is English, so the bundle keeps only that one.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: path.resolve(args.resolveDir, '../locales/index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/cli');

const result = await build({
  absWorkingDir: root,
  entryPoints: ['main/cli/index.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  // Native (usb), WebAssembly/asm.js (opusscript) and the MP3 encoder: loaded from node_modules as they are.
  external: ['usb', 'opusscript', '@breezystack/lamejs', 'electron'],
  // Bundled CommonJS packages (axios's helpers) call require(); an ES module has none unless we make one.
  banner: {
    js: "import { createRequire as __plaudRequire } from 'node:module'; const require = __plaudRequire(import.meta.url);",
  },
  plugins: [zodEnglishOnly],
  metafile: true,
  write: false,
  logLevel: 'warning',
});

// Tests build the CLI from several processes at once while others run it: each file is replaced in one rename, and
// one with the same bytes is left alone, so a CLI starting meanwhile never reads a half-written chunk. (Chunk names
// carry a content hash, so a rebuild of changed sources adds files rather than rewriting the ones in use.)
// A file is put in place only after every chunk it imports: esbuild lists index.js and each command before the
// shared chunks, and a CLI started between the two would find the new index.js and no chunk for it.
function put(file, bytes) {
  try {
    if (fs.readFileSync(file).equals(bytes)) return;
  } catch {
    /* not there yet */
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}
const byPath = new Map(result.outputFiles.map((f) => [f.path, f]));
const written = new Set();
function putAfterImports(file) {
  if (written.has(file)) return;
  written.add(file);
  const meta = result.metafile.outputs[path.relative(root, file).split(path.sep).join('/')];
  for (const imp of meta?.imports ?? []) if (!imp.external) putAfterImports(path.resolve(root, imp.path));
  const out = byPath.get(file);
  if (out) put(out.path, Buffer.from(out.contents));
}
for (const f of result.outputFiles) if (f.path.endsWith('.map')) put(f.path, Buffer.from(f.contents));
for (const f of result.outputFiles) putAfterImports(f.path);
put(path.join(outdir, 'meta.json'), Buffer.from(JSON.stringify(result.metafile)));
