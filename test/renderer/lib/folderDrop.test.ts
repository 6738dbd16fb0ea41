// A folder dropped on the desktop app's window: open it, import it, or say why not.
import { describe, expect, it } from 'vitest'
import { folderDropAction } from '../../../src/renderer/src/lib/folderDrop'

const pictures = { path: '/home/me/pictures', parent: '/home/me', entries: [{ name: 'ants', kind: 'dir' as const }, { name: 'bees', kind: 'dir' as const }] }
const project = { path: '/home/me/bees', parent: '/home/me', entries: [{ name: 'thaw.sqlite', kind: 'file' as const }, { name: 'thumbs', kind: 'dir' as const }] }
const open = { projectOpen: true, importing: false }

describe('folderDropAction', () => {
  it('a project folder opens, whether or not one is open', () => {
    expect(folderDropAction(['/home/me/bees'], project, open)).toEqual({ kind: 'open', path: '/home/me/bees' })
    expect(folderDropAction(['/home/me/bees'], project, { projectOpen: false, importing: false })).toEqual({ kind: 'open', path: '/home/me/bees' })
  })

  it('a folder of images goes to the Import dialog of the open project', () => {
    expect(folderDropAction(['/home/me/pictures'], pictures, open)).toEqual({ kind: 'import', path: '/home/me/pictures' })
  })

  it('says what to do instead: no project open, an import running, several folders, files only', () => {
    expect(folderDropAction(['/home/me/pictures'], pictures, { projectOpen: false, importing: false })).toMatchObject({ kind: 'refuse', message: expect.stringMatching(/open a project first/) })
    expect(folderDropAction(['/home/me/pictures'], pictures, { projectOpen: true, importing: true })).toMatchObject({ kind: 'refuse', message: expect.stringMatching(/import is running/) })
    expect(folderDropAction(['/a', '/b'], pictures, open)).toMatchObject({ kind: 'refuse', message: expect.stringMatching(/one folder at a time/) })
    expect(folderDropAction([], null, open)).toMatchObject({ kind: 'refuse', message: expect.stringMatching(/Drop a folder/) })
    // the folder could not be read (listFolder failed and reported it)
    expect(folderDropAction(['/gone'], null, open)).toMatchObject({ kind: 'refuse' })
  })

  it('a file named like the database inside a subfolder is not a project', () => {
    const nested = { ...pictures, entries: [{ name: 'thaw.sqlite', kind: 'dir' as const }] }
    expect(folderDropAction(['/home/me/pictures'], nested, open)).toEqual({ kind: 'import', path: '/home/me/pictures' })
  })
})
