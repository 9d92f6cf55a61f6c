import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The build output is embedded into the Go binary (web/embed.go), so it must be
// reproducible: no timestamps, content-hashed names under assets/, relative
// base so the same files work behind any path, and no inline scripts because
// the server's CSP is `script-src 'self'`.
export default defineConfig({
  plugins: [svelte()],
  base: './',
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
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
