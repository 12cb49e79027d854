/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a running stack (`make run` on 8080, or
// `scripts/e2e-stack.sh`'s port via AP_API_URL).
const api = process.env.AP_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  // The gateway replaces this placeholder in index.html with a fresh nonce per response and
  // allows it in its CSP, so Radix's scroll lock may add its <style> element (see main.tsx).
  html: { cspNonce: '__CSP_NONCE__' },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/health': { target: api },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // Hashed names under /assets/ are served `immutable` by the gateway.
    assetsDir: 'assets',
    manifest: true,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
  },
});
