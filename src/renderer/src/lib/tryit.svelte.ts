// Try it, the state the panel and the dialog share: the picture being tried, its result or why
// it was refused. One picture at a time; a newer one wins over a slower older one.
import type { TryResult } from '../../../shared/tryit'
import { checkPicture, fileToBase64 } from './tryit'
import { api, StudioError } from './transport'

class TryIt {
  /** the Try it dialog (opened by the T key from anywhere) */
  dialogOpen = $state(false)
  busy = $state(false)
  result = $state<TryResult | null>(null)
  error = $state<string | null>(null)
  /** object URL of the picture, shown beside its result */
  preview = $state<string | null>(null)
  name = $state<string | null>(null)
  private seq = 0

  async tryFile(file: File | Blob, name = (file as File).name ?? 'picture'): Promise<void> {
    const id = ++this.seq
    if (this.preview) URL.revokeObjectURL(this.preview)
    this.preview = URL.createObjectURL(file)
    this.name = name
    this.result = null
    this.error = checkPicture(file)
    if (this.error) return
    this.busy = true
    try {
      const image = await fileToBase64(file)
      const result = await api.tryImage({ image })
      if (id === this.seq) this.result = result
    } catch (err) {
      if (id === this.seq) this.error = err instanceof StudioError || err instanceof Error ? err.message : String(err)
    } finally {
      if (id === this.seq) this.busy = false
    }
  }

  clear(): void {
    this.seq++
    if (this.preview) URL.revokeObjectURL(this.preview)
    this.preview = null
    this.name = null
    this.result = null
    this.error = null
    this.busy = false
  }
}

export const tryit = new TryIt()
