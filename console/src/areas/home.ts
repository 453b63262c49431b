import type { Area } from '../nav'
import DashboardView from '../views/DashboardView.vue'

export default [
  { path: 'dashboard', component: DashboardView, meta: { title: '工作台', menu: '工作台', group: 'home' } },
] satisfies Area
