import { describe, expect, it } from 'vitest'
import { exportErrorText, REPLACE_LABEL } from '../../../../src/renderer/src/screens/export/exportError'

describe('exportErrorText', () => {
  const exists = { code: 'EXPORT_EXISTS', message: '/x/bundle is not empty; choose a new folder, or replace the earlier export in it' }

  it("points a folder that is not empty at the screen's checkbox, never at a CLI flag", () => {
    const text = exportErrorText(exists, { out: '/x/bundle', overwrite: false })
    expect(text).toBe(`/x/bundle is not empty. Choose another folder, or tick “${REPLACE_LABEL}” to replace the earlier export in it.`)
    expect(text).not.toMatch(/--/)
  })

  it("keeps the studio's own sentence when ticking the box would not help", () => {
    const notBundle = { code: 'EXPORT_EXISTS', message: '/x/mine is not empty and is not a Thaw bundle (no model-card.json); refusing to replace it' }
    expect(exportErrorText(notBundle, { out: '/x/mine', overwrite: true })).toBe(notBundle.message)
    expect(exportErrorText({ code: 'EXPORT_UNWRITABLE', message: 'cannot write' }, { out: '/x', overwrite: false })).toBe('cannot write')
  })
})
