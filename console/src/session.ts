// The signed-in staff member. The token lives in sessionStorage: it ends with the tab, and a
// reload keeps the person signed in.
import { reactive } from 'vue'

export interface StaffMember {
  id: string
  username: string
  name: string
  role: 'city' | 'county' | 'school'
  county_id?: string
  school_id?: string
}

const KEY = 'kehou.console.session'

function load(): { token: string; staff: StaffMember | null } {
  try {
    const raw = sessionStorage.getItem(KEY)
    if (raw) return JSON.parse(raw)
  } catch {
    /* storage unavailable: start signed out */
  }
  return { token: '', staff: null }
}

export const session = reactive({
  ...load(),
  expiredAt: 0,
  signIn(token: string, staff: StaffMember) {
    this.token = token
    this.staff = staff
    this.expiredAt = 0
    sessionStorage.setItem(KEY, JSON.stringify({ token, staff }))
  },
  signOut() {
    this.token = ''
    this.staff = null
    sessionStorage.removeItem(KEY)
  },
  /** expired marks the session as ended by the server; the layout offers to sign in again. */
  expired() {
    this.expiredAt = Date.now()
  },
})
