// The console's screens are grouped by area: each file in src/areas/ exports the routes of one
// part of the programme (lazy-loaded views, so a screen's code is fetched when it is opened).
// A route with meta.menu appears in the menu under its group, for the roles it names; the router
// sends anyone else back to the dashboard (the API would refuse them anyway).
import type { RouteRecordRaw } from 'vue-router'

export type Role = 'city' | 'county' | 'school'

declare module 'vue-router' {
  interface RouteMeta {
    /** The page title (browser tab). */
    title?: string
    /** Shown in the menu under this label. */
    menu?: string
    /** The menu group (a key of groups). */
    group?: keyof typeof groups
    /** Roles that may open the screen; all staff when absent. */
    roles?: Role[]
    /** Open without signing in. */
    public?: boolean
  }
}

/** The menu's groups, in the order they are shown. */
export const groups = {
  home: '工作台',
  org: '组织与家长',
  notices: '通知公告',
  surveys: '问卷调查',
  events: '开放日',
  summer: '暑期托管',
  plans: '课程与机构',
  complaints: '投诉处理',
  reports: '月报',
  system: '系统',
} as const

export type Area = RouteRecordRaw[]

const modules = import.meta.glob<{ default: Area }>('./areas/*.ts', { eager: true })

/** areaRoutes are the signed-in screens of every area. */
export const areaRoutes: RouteRecordRaw[] = Object.values(modules).flatMap((m) => m.default)

export function allowed(roles: Role[] | undefined, role: Role | undefined): boolean {
  return !roles || (role != null && roles.includes(role))
}

export interface MenuGroup {
  key: string
  title: string
  items: { path: string; title: string }[]
}

/** menuFor lists the menu a role sees, grouped. */
export function menuFor(role: Role | undefined): MenuGroup[] {
  return Object.entries(groups)
    .map(([key, title]) => ({
      key,
      title,
      items: areaRoutes
        .filter((r) => r.meta?.menu && r.meta.group === key && allowed(r.meta.roles, role))
        .map((r) => ({ path: '/' + r.path, title: r.meta!.menu! })),
    }))
    .filter((g) => g.items.length > 0)
}
