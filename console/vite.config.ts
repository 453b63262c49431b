import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The console is served by kehou at /console/; `npm run dev` proxies the API to a local
// `kehou run` on :8080. Element Plus's components and directives (v-loading) are imported where
// a template uses them, not installed globally: the first screen loads without every screen's
// components (the whole library made the entry script 1 MB). Styles stay the one stylesheet
// imported in main.ts (importStyle: false).
export default defineConfig({
  base: '/console/',
  plugins: [vue(), Components({ resolvers: [ElementPlusResolver({ importStyle: false })], dts: false })],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
  test: { environment: 'jsdom', include: ['src/**/*.test.ts'] },
})
