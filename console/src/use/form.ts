// useForm runs one form's submission: the API's field errors go beside their fields and any
// other failure is one message; what was typed is kept whatever happens. Each submission that
// creates something carries an Idempotency-Key: kept for a retry after a lost connection or a
// server error (the first attempt may have been applied), renewed after a refusal (it was not).
import { reactive } from 'vue'
import { ApiError, formError, newKey } from '../api/client'

export function useForm<F extends object, R>(blank: () => F, submit: (form: F, key: string) => Promise<R>) {
  const state = reactive({
    form: blank(),
    busy: false,
    fields: {} as Record<string, string>,
    message: '',
    key: newKey(),
    /** run submits the form; it resolves to the API's answer, or undefined when it failed. */
    async run(): Promise<R | undefined> {
      state.busy = true
      state.fields = {}
      state.message = ''
      try {
        const r = await submit(state.form as F, state.key)
        state.key = newKey()
        return r
      } catch (e) {
        const err = e as ApiError
        if (err.status >= 400 && err.status < 500) state.key = newKey()
        Object.assign(state, formError(err))
        return undefined
      } finally {
        state.busy = false
      }
    },
    /** reset empties the form for the next one. */
    reset() {
      state.form = blank() as never
      state.fields = {}
      state.message = ''
      state.key = newKey()
    },
  })
  return state
}
