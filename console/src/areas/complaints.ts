import type { Area } from '../nav'

export default [
  { path: 'complaints', component: () => import('../views/ComplaintsView.vue'), meta: { title: '投诉台账', menu: '投诉台账', group: 'complaints' } },
  { path: 'complaints/:id', component: () => import('../views/ComplaintDetailView.vue'), meta: { title: '投诉' } },
  { path: 'cases', component: () => import('../views/complaints/CasesView.vue'), meta: { title: '典型案例', menu: '典型案例', group: 'complaints' } },
] satisfies Area
