import type { Area } from '../nav'
import { session } from '../session'

// Organisation: counties, schools and their rosters, parents' bindings and the letter to
// parents, staff accounts, the audit log and the working-day calendar.
export default [
  { path: 'org/counties', component: () => import('../views/org/CountiesView.vue'), meta: { title: '区县', menu: '区县', group: 'org', roles: ['city'] } },
  { path: 'org/schools', component: () => import('../views/org/SchoolsView.vue'), meta: { title: '学校', menu: '学校', group: 'org', roles: ['city', 'county'] } },
  // A school admin has one school: the menu goes straight to it.
  { path: 'org/my-school', redirect: () => `/org/schools/${session.staff?.school_id ?? ''}`, meta: { title: '本校学生与家长', menu: '本校学生与家长', group: 'org', roles: ['school'] } },
  { path: 'org/schools/:id', component: () => import('../views/org/SchoolView.vue'), meta: { title: '学校' } },
  { path: 'org/schools/:id/letters', component: () => import('../views/org/LettersView.vue'), meta: { title: '致家长的一封信' } },
  { path: 'org/staff', component: () => import('../views/org/StaffView.vue'), meta: { title: '账号管理', menu: '账号管理', group: 'org', roles: ['city', 'county'] } },
  { path: 'org/audit', component: () => import('../views/org/AuditView.vue'), meta: { title: '操作日志', menu: '操作日志', group: 'org', roles: ['city', 'county'] } },
  { path: 'org/calendar', component: () => import('../views/org/CalendarView.vue'), meta: { title: '工作日历', menu: '工作日历', group: 'org' } },
] satisfies Area
