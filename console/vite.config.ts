import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// The console is served by kehou at /console/; `npm run dev` proxies the API to a local
// `kehou run` on :8080.
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
  test: { environment: 'jsdom', include: ['src/**/*.test.ts'] },
})
