import { createRouter, createWebHistory } from 'vue-router'
import { session } from './session'
import { allowed, areaRoutes } from './nav'
import LoginView from './views/LoginView.vue'
import LayoutView from './views/LayoutView.vue'

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/login', component: LoginView, meta: { public: true, title: '登录' } },
    { path: '/', component: LayoutView, children: [{ path: '', redirect: '/dashboard' }, ...areaRoutes] },
    { path: '/:rest(.*)*', redirect: '/dashboard' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !session.token) return { path: '/login', query: { next: to.fullPath } }
  if (!to.meta.public && !allowed(to.meta.roles, session.staff?.role)) return { path: '/dashboard' }
  document.title = `${to.meta.title ?? ''} · 课后服务管理后台`
})
