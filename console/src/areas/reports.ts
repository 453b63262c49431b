import type { Area } from '../nav'

// The monthly ledger report (月报): the month's figures for the caller's level and the levels below.
export default [
  { path: 'reports', component: () => import('../views/reports/ReportsView.vue'), meta: { title: '月报', menu: '月报', group: 'reports' } },
] satisfies Area
