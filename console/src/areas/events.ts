import type { Area } from '../nav'

// Open days: the events with their sessions, sign-ups and waiting lists, and the check-in page
// staff open on a phone at the door. Every staff role may hold an open day in its own scope.
export default [
  { path: 'events', component: () => import('../views/events/EventsView.vue'), meta: { title: '开放日活动', menu: '开放日活动', group: 'events' } },
  { path: 'events/checkin', component: () => import('../views/events/CheckinView.vue'), meta: { title: '入场签到', menu: '入场签到', group: 'events' } },
  { path: 'events/:id', component: () => import('../views/events/EventDetailView.vue'), meta: { title: '开放日活动' } },
] satisfies Area
