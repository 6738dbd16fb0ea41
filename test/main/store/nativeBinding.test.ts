// Which better-sqlite3 build a process loads: Node's own, the second build for Electron that
// `npm start` prepares, or (packaged) the one electron-builder rebuilt in place.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Project } from '../../../src/main/project/project'
import { openDatabase } from '../../../src/main/store/db'
import { electronBindingPath, selectBinding, sqliteBinding, type BindingInputs } from '../../../src/main/store/nativeBinding'

const pkg = '/repo/node_modules/better-sqlite3'
const prepared = '/repo/node_modules/.cache/thaw-studio/native/better-sqlite3-12.9.0-electron-40.8.5-linux-x64/better_sqlite3.node'
const inputs = (o: Partial<BindingInputs> = {}): BindingInputs => ({
  versions: { node: '20.20.2' },
  platform: 'linux',
  arch: 'x64',
  packageDir: pkg,
  packageVersion: '12.9.0',
  exists: () => true,
  ...o
})

describe('selectBinding', () => {
  it("uses better-sqlite3's own build under Node", () => {
    expect(selectBinding(inputs())).toBeNull()
  })

  it("uses the prepared Electron build under Electron in a checkout, keyed by both versions, OS and CPU", () => {
    expect(electronBindingPath({ packageDir: pkg, packageVersion: '12.9.0', electron: '40.8.5', platform: 'linux', arch: 'x64' })).toBe(prepared)
    expect(selectBinding(inputs({ versions: { node: '24.14.0', electron: '40.8.5' }, exists: (f) => f === prepared }))).toBe(prepared)
    const win = selectBinding(inputs({ versions: { node: '24.14.0', electron: '41.0.0' }, platform: 'win32', arch: 'arm64' }))
    expect(win).toContain('better-sqlite3-12.9.0-electron-41.0.0-win32-arm64')
  })

  it('says how to prepare the Electron build when it is missing', () => {
    expect(() => selectBinding(inputs({ versions: { node: '24.14.0', electron: '40.8.5' }, exists: () => false }))).toThrow(
      /no build for Electron 40\.8\.5 .*"npm start"/
    )
  })

  it('leaves a packaged app (modules in app.asar) to the build electron-builder made', () => {
    for (const dir of ['/opt/Thaw Studio/resources/app.asar/node_modules/better-sqlite3', 'C:\\Program Files\\Thaw\\resources\\app.asar\\node_modules\\better-sqlite3']) {
      expect(selectBinding(inputs({ versions: { node: '24.14.0', electron: '40.8.5' }, packageDir: dir, exists: () => false }))).toBeNull()
    }
  })

  it('takes THAW_SQLITE_BINDING over everything, and refuses one that does not exist', () => {
    expect(selectBinding(inputs({ override: '/x/b.node', exists: (f) => f === '/x/b.node' }))).toBe('/x/b.node')
    expect(() => selectBinding(inputs({ override: '/x/none.node', exists: () => false }))).toThrow('THAW_SQLITE_BINDING names /x/none.node')
  })
})

describe('an addon that does not load (as a Node build does under Electron)', () => {
  const before = process.env.THAW_SQLITE_BINDING
  let dir = ''
  afterEach(() => {
    if (before === undefined) delete process.env.THAW_SQLITE_BINDING
    else process.env.THAW_SQLITE_BINDING = before
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  it('fails the open, and a new project leaves no half-made folder behind', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-binding-'))
    const bad = path.join(dir, 'wrong_abi.node')
    fs.writeFileSync(bad, 'not an addon')
    expect(sqliteBinding()).toBeNull() // this process: Node's own build
    process.env.THAW_SQLITE_BINDING = bad
    expect(sqliteBinding()).toBe(bad)
    expect(() => openDatabase(path.join(dir, 'x.sqlite'), { create: true })).toThrow()
    const target = path.join(dir, 'new-project')
    expect(() => Project.create(target)).toThrow()
    expect(fs.existsSync(target)).toBe(false)
    fs.mkdirSync(path.join(dir, 'empty'))
    expect(() => Project.create(path.join(dir, 'empty'))).toThrow()
    expect(fs.readdirSync(path.join(dir, 'empty'))).toEqual([])
    // once the addon loads again, the same folder makes a project (no FOLDER_NOT_EMPTY)
    delete process.env.THAW_SQLITE_BINDING
    Project.create(target).close()
    expect(fs.existsSync(path.join(target, 'thaw.sqlite'))).toBe(true)
  })
})
