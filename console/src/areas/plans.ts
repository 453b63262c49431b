import type { Area } from '../nav'

// Plans (一校一案) and the 2+N menu, the registry of institutions, and course selection with its
// verifiable draw. Every role sees them within its scope; the screens cut actions to the role.
export default [
  { path: 'plans', component: () => import('../views/plans/PlansView.vue'), meta: { title: '课后服务方案', menu: '服务方案', group: 'plans' } },
  { path: 'schools/:id/plans/:term', component: () => import('../views/plans/PlanView.vue'), meta: { title: '学校服务方案' } },
  { path: 'institutions', component: () => import('../views/plans/InstitutionsView.vue'), meta: { title: '机构名录', menu: '机构名录', group: 'plans' } },
  { path: 'selections', component: () => import('../views/plans/SelectionsView.vue'), meta: { title: '选课', menu: '选课与摇号', group: 'plans' } },
  { path: 'selections/:id', component: () => import('../views/plans/SelectionView.vue'), meta: { title: '选课详情' } },
] satisfies Area
