import type { Area } from '../nav'

// Summer care (暑期托管): programmes with their periods, enrolments and volunteer shifts; the
// volunteers who staff them, their credentials and hours. Every staff role works within its
// scope (the API checks it), so every screen is open to all three roles.
export default [
  { path: 'programmes', component: () => import('../views/summer/ProgrammesView.vue'), meta: { title: '托管项目', menu: '托管项目', group: 'summer' } },
  { path: 'programmes/:id', component: () => import('../views/summer/ProgrammeView.vue'), meta: { title: '托管项目' } },
  { path: 'programmes/:pid/shifts/:id', component: () => import('../views/summer/ShiftView.vue'), meta: { title: '志愿服务班次' } },
  { path: 'attendance', component: () => import('../views/summer/AttendanceView.vue'), meta: { title: '志愿者签到', menu: '志愿者签到', group: 'summer' } },
  { path: 'volunteers', component: () => import('../views/summer/VolunteersView.vue'), meta: { title: '志愿者', menu: '志愿者', group: 'summer' } },
  { path: 'volunteers/:id', component: () => import('../views/summer/VolunteerView.vue'), meta: { title: '志愿者' } },
  { path: 'volunteer-hours', component: () => import('../views/summer/VolunteerHoursView.vue'), meta: { title: '志愿服务时长', menu: '服务时长', group: 'summer' } },
  { path: 'teacher-hours', component: () => import('../views/summer/TeacherHoursView.vue'), meta: { title: '教师志愿服务时长', menu: '教师时长（考核）', group: 'summer' } },
] satisfies Area
