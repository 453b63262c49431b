import type { Area } from '../nav'

// Surveys: every role may send one to the families in its scope (the handlers' rule); a survey
// sent from above is read-only below (its results cut to the reader's scope).
export default [
  { path: 'surveys', component: () => import('../views/surveys/SurveysView.vue'), meta: { title: '问卷调查', menu: '问卷列表', group: 'surveys' } },
  { path: 'survey-templates', component: () => import('../views/surveys/TemplatesView.vue'), meta: { title: '问卷模板', menu: '问卷模板', group: 'surveys' } },
  { path: 'surveys/new', component: () => import('../views/surveys/SurveyBuilderView.vue'), meta: { title: '新建问卷' } },
  { path: 'surveys/:id', component: () => import('../views/surveys/SurveyDetailView.vue'), meta: { title: '问卷' } },
  { path: 'surveys/:id/edit', component: () => import('../views/surveys/SurveyBuilderView.vue'), meta: { title: '编辑问卷' } },
  { path: 'surveys/:id/results', component: () => import('../views/surveys/SurveyResultsView.vue'), meta: { title: '问卷结果' } },
] satisfies Area
