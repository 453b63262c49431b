import type { Area } from '../nav'

// The system's own tools, for the city bureau's administrators.
export default [
  { path: 'system/queues', component: () => import('../views/system/QueuesView.vue'), meta: { title: '任务队列', menu: '任务队列', group: 'system', roles: ['city'] } },
] satisfies Area
