import type { Area } from '../nav'

export default [
  { path: 'complaints', component: () => import('../views/ComplaintsView.vue'), meta: { title: '投诉台账', menu: '投诉台账', group: 'complaints' } },
  { path: 'complaints/:id', component: () => import('../views/ComplaintDetailView.vue'), meta: { title: '投诉' } },
] satisfies Area
