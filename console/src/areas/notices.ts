import type { Area } from '../nav'

// Notices: the list, compose, the live delivery report (with the sandbox outbox) and the group
// robots notices can also go to. Every staff role sends within its own scope.
export default [
  { path: 'notices', component: () => import('../views/notices/NoticesView.vue'), meta: { title: '通知公告', menu: '通知列表', group: 'notices' } },
  { path: 'notices/new', component: () => import('../views/notices/NoticeComposeView.vue'), meta: { title: '发布通知', menu: '发布通知', group: 'notices' } },
  { path: 'notices/:id', component: () => import('../views/notices/NoticeReportView.vue'), meta: { title: '发送报告' } },
  { path: 'robots', component: () => import('../views/notices/RobotsView.vue'), meta: { title: '群机器人', menu: '群机器人', group: 'notices' } },
] satisfies Area
