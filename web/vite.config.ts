import { defineConfig } from 'vitest/config';
import { build, type Plugin } from 'vite';
import { writeFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { createHash } from 'node:crypto';

// The entry (src/main.ts) is small: it asks for the first screen's data and
// then loads the application (src/app.ts, its own chunk) with import().
// index.html preloads that chunk as a module, so the browser fetches it with
// the entry and compiles it off the main thread while the entry runs; the
// `allFunctionsCalledOnLoad` hint at its top has V8 compile all its
// functions then (most run at the first render), instead of one at a time
// on the main thread when each is first called, and lets the code cache of
// a later load hold them all.
function preloadApp(): Plugin {
  return {
    name: 'corral-preload-app',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const app = Object.values(ctx.bundle ?? {}).find((c) => c.type === 'chunk' && c.facadeModuleId?.endsWith('/src/app.ts'));
        if (!app) throw new Error('corral-preload-app: no chunk for src/app.ts');
        return [{ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: `./${app.fileName}` }, injectTo: 'head' }];
      },
    },
  };
}

// The service worker (src/sw/sw.ts) is built on its own, as one classic
// script (IIFE: a worker registered without type "module" cannot import),
// to ./sw.js (a fixed name: the browser checks that address for a new
// build). The list of every other file of the build and a digest of their
// contents replace its placeholders: the worker precaches exactly this
// build's shell, and a new build (a new digest) is a new worker, which the
// page offers to load (lib/pwa.ts).
function corralServiceWorker(): Plugin {
  let files: string[] = [];
  let digest = '';
  let outDir = 'dist';
  return {
    name: 'corral-service-worker',
    apply: 'build',
    configResolved(c) {
      outDir = resolvePath(c.root, c.build.outDir);
    },
    generateBundle: {
      order: 'post',
      handler(_opts, bundle) {
        files = Object.keys(bundle).sort();
        const h = createHash('sha256');
        for (const f of files) {
          const o = bundle[f];
          h.update(f).update(o.type === 'chunk' ? o.code : typeof o.source === 'string' ? o.source : Buffer.from(o.source));
        }
        digest = h.digest('hex').slice(0, 16);
      },
    },
    async closeBundle() {
      const pub = ['favicon.svg', 'manifest.webmanifest', 'icon-192.png', 'icon-512.png', 'icon-maskable-512.png'];
      const out = await build({
        configFile: false,
        logLevel: 'warn',
        build: {
          write: false,
          target: 'es2022',
          minify: true,
          lib: { entry: resolvePath(import.meta.dirname, 'src/sw/sw.ts'), formats: ['iife'], name: 'corralSW', fileName: () => 'sw.js' },
        },
      });
      const chunk = (Array.isArray(out) ? out[0] : out as any).output.find((o: any) => o.type === 'chunk');
      const code: string = chunk.code.replaceAll('__CORRAL_PRECACHE__', JSON.stringify([...files, ...pub])).replaceAll('__CORRAL_BUILD__', JSON.stringify(digest));
      if (code.includes('__CORRAL_')) throw new Error('corral-service-worker: a placeholder was left in sw.js');
      writeFileSync(resolvePath(outDir, 'sw.js'), code);
    },
  };
}

// The build output is embedded into the Go binary (web/embed.go), so it must be
// reproducible: no timestamps, content-hashed names under assets/, relative
// base so the same files work behind any path, and no inline scripts because
// the server's CSP is `script-src 'self'`.
export default defineConfig({
  plugins: [svelte(), preloadApp(), corralServiceWorker()],
  base: './',
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // one stylesheet, linked from index.html: the application's chunk is
    // loaded with import() and must not wait for a stylesheet of its own
    cssCodeSplit: false,
    sourcemap: false,
    // after minification, which would drop it (see preloadApp)
    rolldownOptions: {
      output: { postBanner: (chunk) => (chunk.facadeModuleId?.endsWith('/src/app.ts') ? '//# allFunctionsCalledOnLoad' : '') },
    },
    reportCompressedSize: true,
  },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    // Tests assert behaviour, not speed: the limit only stops a hang, and
    // the build machine is shared with other compilers.
    testTimeout: 120_000,
    include: ['src/**/*.test.ts'],
    reporters: ['default', './scripts/count-reporter.ts'],
  },
});
