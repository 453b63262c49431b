import { createRouter, createWebHistory } from 'vue-router'
import { session } from './session'
import LoginView from './views/LoginView.vue'
import LayoutView from './views/LayoutView.vue'
import DashboardView from './views/DashboardView.vue'
import ComplaintsView from './views/ComplaintsView.vue'
import ComplaintDetailView from './views/ComplaintDetailView.vue'

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/login', component: LoginView, meta: { public: true, title: '登录' } },
    {
      path: '/',
      component: LayoutView,
      children: [
        { path: '', redirect: '/dashboard' },
        { path: 'dashboard', component: DashboardView, meta: { title: '工作台' } },
        { path: 'complaints', component: ComplaintsView, meta: { title: '投诉台账' } },
        { path: 'complaints/:id', component: ComplaintDetailView, meta: { title: '投诉' } },
      ],
    },
    { path: '/:rest(.*)*', redirect: '/dashboard' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !session.token) return { path: '/login', query: { next: to.fullPath } }
  document.title = `${(to.meta.title as string) ?? ''} · 课后服务管理后台`
})
