import type { Area } from '../nav'

export default [
  { path: 'dashboard', component: () => import('../views/DashboardView.vue'), meta: { title: '工作台', menu: '工作台', group: 'home' } },
] satisfies Area
