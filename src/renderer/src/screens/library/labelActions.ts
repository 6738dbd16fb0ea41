// What the keys and buttons of the library do to images. Each change shows at once in the grid
// (optimistic), is saved by the studio right away, and its libraryChanged event then brings the
// truth; if the studio refuses, the grid is refetched so nothing wrong stays on screen.
import type { Split } from '../../../../shared/types'
import { plural } from '../../lib/format'
import { library } from '../../lib/library.svelte'
import { attempt, toasts } from '../../lib/toasts.svelte'
import { api } from '../../lib/transport'
import type { GridModel } from './gridModel.svelte'

/** After a bulk change under a filter, the changed images may have left the view: a selection
 * of images one can no longer see must not be relabelled by the next key press. */
function dropSelectionIfFiltered(model: GridModel): void {
  const f = library.filter
  if (f.classId !== undefined || f.split !== undefined || f.status !== undefined) model.clearSelection()
}

export async function labelTargets(model: GridModel, classId: number | null): Promise<void> {
  const single = model.singleTarget
  const ids = await model.targets()
  if (ids.length === 0) return
  model.patch(ids, { classId })
  if (single) model.advance()
  const ok = await library.setLabel(ids, classId)
  if (!ok) {
    void model.refresh()
    return
  }
  if (ids.length > 1) {
    dropSelectionIfFiltered(model)
    toasts.success(`Labelled ${plural(ids.length, 'image')} ${library.className(classId)}`, {
      label: 'Undo',
      run: () => void library.undo()
    })
  }
}

export async function labelByDigit(model: GridModel, digit: number): Promise<void> {
  const cls = library.classForDigit(digit)
  if (!cls) {
    toasts.info(
      library.classes.length === 0
        ? 'There are no classes yet: add one in the sidebar'
        : `Key ${digit} has no class: there ${library.classes.length === 1 ? 'is 1 class' : `are ${library.classes.length} classes`}`
    )
    return
  }
  await labelTargets(model, cls.id)
}

/** X: excludes the targets from training, validation and metrics, or brings them back when
 * every one of them is excluded already. Undoable like a label change. */
export async function excludeTargets(model: GridModel): Promise<void> {
  const ids = await model.targets()
  if (ids.length === 0) return
  const exclude = model.shouldExclude(ids)
  model.patch(ids, { excluded: exclude })
  const r = await attempt(() => api.setExcluded({ ids, excluded: exclude }))
  if (!r) {
    void model.refresh()
    return
  }
  toasts.success(`${exclude ? 'Excluded' : 'Brought back'} ${plural(ids.length, 'image')}${exclude ? ' (kept on disk, left out of training and validation)' : ''}`, {
    label: 'Undo',
    run: () => void library.undo()
  })
}

export async function moveTargets(model: GridModel, split?: Split): Promise<void> {
  const ids = await model.targets()
  if (ids.length === 0) return
  const to = split ?? model.toggledSplit(ids)
  model.patch(ids, { split: to })
  const ok = await library.setSplit(ids, to)
  if (!ok) {
    void model.refresh()
    return
  }
  if (ids.length > 1) {
    dropSelectionIfFiltered(model)
    toasts.success(`Moved ${plural(ids.length, 'image')} to ${to}`, { label: 'Undo', run: () => void library.undo() })
  }
}
