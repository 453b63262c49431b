// usePaged holds one cursor-paged list of the API ({items, next_cursor}): the first page on
// reload, the next on more. Nothing loads a whole collection: a screen shows a page and a
// "加载更多" button while next is set.
import { ref, type Ref } from 'vue'
import { ApiError } from '../api/client'

export interface Page<T> {
  items: T[]
  next_cursor?: string
}

export function usePaged<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>) {
  const items = ref([]) as Ref<T[]>
  const next = ref<string>()
  const loading = ref(false)
  const error = ref('')
  let generation = 0

  async function load(fresh: boolean) {
    const mine = ++generation
    loading.value = true
    error.value = ''
    try {
      const page = await fetchPage(fresh ? undefined : next.value)
      if (mine !== generation) return // a newer reload (a changed filter) won
      items.value = fresh ? page.items : [...items.value, ...page.items]
      next.value = page.next_cursor || undefined
    } catch (e) {
      if (mine === generation) error.value = (e as ApiError).message
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  return { items, next, loading, error, reload: () => load(true), more: () => load(false) }
}
