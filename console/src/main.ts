import { createApp } from 'vue'
// Element Plus components are imported where they are used (unplugin-vue-components, see
// vite.config.ts), so a screen's code carries only its own; the stylesheet is one file.
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import { router } from './router'

createApp(App).use(router).mount('#app')
