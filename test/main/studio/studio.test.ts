import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { SCHEMA_VERSION } from '../../../src/main/store/migrations'
import { Studio } from '../../../src/main/studio/studio'
import type { StudioEvent } from '../../../src/shared/contract'
import { tempDir } from '../../helpers/tmp'

process.env.THAW_CONFIG_DIR = tempDir('thaw-config-')

describe('Studio contract validation', () => {
  it('rejects unknown commands and bad arguments with clear errors', async () => {
    const studio = new Studio()
    await expect(studio.invoke('dropTables', {})).rejects.toMatchObject({ code: 'UNKNOWN_COMMAND' })
    await expect(studio.invoke('__proto__', {})).rejects.toMatchObject({ code: 'UNKNOWN_COMMAND' })
    await expect(studio.invoke('openProject', {})).rejects.toMatchObject({
      code: 'BAD_ARGS',
      message: expect.stringMatching(/^openProject: path: /)
    })
    await expect(studio.invoke('openProject', { path: 'x', extra: 1 })).rejects.toMatchObject({ code: 'BAD_ARGS' })
    await expect(studio.invoke('setLabel', { ids: [], classId: 1 })).rejects.toMatchObject({
      message: expect.stringMatching(/select at least one image/)
    })
    await expect(studio.invoke('setLabel', { ids: [1.5], classId: 1 })).rejects.toMatchObject({ code: 'BAD_ARGS' })
    await expect(studio.invoke('addClass', { name: 'a/b' })).rejects.toMatchObject({
      message: expect.stringMatching(/cannot contain \//)
    })
    await expect(studio.invoke('importFolder', { root: '/x', validPct: 2 })).rejects.toMatchObject({ code: 'BAD_ARGS' })
    await expect(studio.invoke('queryImages', 'not an object')).rejects.toMatchObject({ code: 'BAD_ARGS' })
  })

  it('needs an open project for project commands', async () => {
    const studio = new Studio()
    await expect(studio.invoke('projectStatus', {})).rejects.toMatchObject({ code: 'NO_PROJECT' })
    expect(await studio.invoke('currentProject', {})).toBeNull()
  })

  it('creates, reopens and remembers projects, and pushes events', async () => {
    const studio = new Studio()
    const events: StudioEvent[] = []
    studio.subscribe((e) => events.push(e))
    const dir = path.join(tempDir(), 'my project')
    const api = studio.api()
    const info = await api.createProject({ path: dir, name: 'Ants' })
    expect(info).toMatchObject({ path: dir, name: 'Ants', schemaVersion: SCHEMA_VERSION })
    await expect(api.createProject({ path: dir })).rejects.toMatchObject({ code: 'PROJECT_EXISTS' })
    const cls = await api.addClass({ name: 'ants' })
    expect(events.map((e) => e.event)).toEqual(['projectChanged', 'libraryChanged'])
    studio.close()

    const again = new Studio()
    expect(await again.api().openProject({ path: dir })).toMatchObject({ name: 'Ants' })
    expect(await again.api().listClasses({})).toEqual([expect.objectContaining({ id: cls.id, name: 'ants' })])
    expect((await again.api().recentProjects({}))[0]).toMatchObject({ path: dir, name: 'Ants' })
    again.close()
  })

  it('refuses to open what is not a project', async () => {
    const api = new Studio().api()
    await expect(api.openProject({ path: path.join(tempDir(), 'nope') })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(api.openProject({ path: tempDir() })).rejects.toMatchObject({ code: 'NOT_A_PROJECT' })
  })

  it('lists folders, directories first, hidden left out', async () => {
    const fs = await import('node:fs')
    const dir = tempDir()
    fs.mkdirSync(path.join(dir, 'b-dir'))
    fs.writeFileSync(path.join(dir, 'a.txt'), '')
    fs.writeFileSync(path.join(dir, '.hidden'), '')
    const listing = await new Studio().api().listFolder({ path: dir })
    expect(listing.entries).toEqual([
      { name: 'b-dir', kind: 'dir' },
      { name: 'a.txt', kind: 'file' }
    ])
    await expect(new Studio().api().listFolder({ path: path.join(dir, 'a.txt') })).rejects.toMatchObject({ code: 'NOT_A_FOLDER' })
  })
})
