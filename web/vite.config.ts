import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

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

// The build output is embedded into the Go binary (web/embed.go), so it must be
// reproducible: no timestamps, content-hashed names under assets/, relative
// base so the same files work behind any path, and no inline scripts because
// the server's CSP is `script-src 'self'`.
export default defineConfig({
  plugins: [svelte(), preloadApp()],
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
    rolldownOptions: { output: { postBanner: (chunk) => (chunk.facadeModuleId?.endsWith('/src/app.ts') ? '//# allFunctionsCalledOnLoad' : '') } },
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
