import * as labels from '../../store/labels'
import type { Handlers, StudioContext } from '../context'

/** Runs a label change and tells every client, so other windows and tabs refresh. */
function changed<T>(studio: StudioContext, reason: string, result: T): T {
  studio.emit('libraryChanged', { reason })
  return result
}

export const labelHandlers = {
  setLabel: ({ ids, classId }, s) => changed(s, 'label', labels.setLabel(s.project().db, ids, classId)),
  setSplit: ({ ids, split }, s) => changed(s, 'split', labels.setSplit(s.project().db, ids, split)),
  addClass: ({ name }, s) => changed(s, 'classes', labels.addClass(s.project().db, name)),
  renameClass: ({ id, name }, s) => changed(s, 'classes', labels.renameClass(s.project().db, id, name)),
  mergeClasses: ({ from, into }, s) => changed(s, 'classes', labels.mergeClasses(s.project().db, from, into)),
  deleteClass: ({ id }, s) => changed(s, 'classes', labels.deleteClass(s.project().db, id)),
  undo: (_args, s) => changed(s, 'undo', labels.undo(s.project().db))
} satisfies Partial<Handlers>
