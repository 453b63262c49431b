// The audit log's action codes in words. They are the server's own codes (server/*.go,
// s.audit), not an enum of the API; an unknown one is shown as it is.
const actions: Record<string, string> = {
  'auth.login': '登录', 'auth.locked': '账号被锁定',
  'county.create': '新建区县', 'county.update': '修改区县',
  'school.create': '新建学校', 'school.update': '修改学校',
  'roster.import': '导入花名册', 'roster.export_binding_codes': '下载绑定码', 'guardian.remove': '解除家长绑定',
  'staff.create': '新建账号', 'staff.update': '修改账号', 'staff.password': '修改本人密码',
  'calendar.update': '修改工作日历',
  'notice.create': '发布通知', 'notice.cancel': '撤回通知', 'notice.remind': '提醒未读',
  'survey.create': '新建问卷', 'survey.update': '修改问卷', 'survey.publish': '发布问卷', 'survey.export': '导出问卷结果',
  'event.create': '新建开放日', 'event.update': '修改开放日', 'event.checkin': '开放日签到', 'event.export': '导出开放日名单',
  'programme.create': '新建托管项目', 'programme.update': '修改托管项目', 'programme.export': '导出托管名单',
  'shift.create': '新建志愿岗位', 'shift.cancel': '取消志愿岗位', 'shift.hours.correct': '更正志愿时长',
  'application.approve': '录用志愿者', 'application.reject': '不录用志愿者',
  'volunteer.credential.verify': '审核志愿者资质', 'volunteer.hours.export': '导出志愿时长', 'volunteer.teacher_hours.export': '导出教师时长',
  'plan.save': '保存课后服务方案', 'institution.create': '新增机构', 'institution.update': '修改机构',
  'selection.create': '新建选课', 'selection.publish': '发布选课', 'selection.draw': '选课抽签',
  'complaint.create': '登记投诉', 'complaint.import': '导入12345工单', 'complaint.export': '导出投诉台账', 'complaint.look_back': '投诉回头看',
  'case.submit': '提交典型案例', 'case.review': '审核典型案例', 'case.feature': '推荐典型案例',
  'report.export': '导出月报', 'robot.create': '添加群机器人', 'robot.delete': '删除群机器人',
}

/** actionText says what an audited action was; complaint steps read "投诉：<step>". */
export function actionText(code: string): string {
  if (actions[code]) return actions[code]
  const [head, ...rest] = code.split('.')
  if (head === 'complaint' && rest.length) return `投诉办理：${rest.join('.')}`
  return code
}
