import { describe, expect, it } from 'vitest'
import { galleryAction } from '../../../../src/renderer/src/screens/train/galleryKeys'

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods
})

describe('galleryAction', () => {
  it('moves within the grid, by a row up and down, never off it', () => {
    expect(galleryAction(key('ArrowRight'), 0, 10, 4)).toEqual({ kind: 'move', to: 1 })
    expect(galleryAction(key('ArrowLeft'), 0, 10, 4)).toEqual({ kind: 'move', to: 0 })
    expect(galleryAction(key('ArrowDown'), 1, 10, 4)).toEqual({ kind: 'move', to: 5 })
    expect(galleryAction(key('ArrowDown'), 7, 10, 4)).toEqual({ kind: 'move', to: 7 })
    expect(galleryAction(key('ArrowUp'), 5, 10, 4)).toEqual({ kind: 'move', to: 1 })
    expect(galleryAction(key('ArrowUp'), 2, 10, 4)).toEqual({ kind: 'move', to: 2 })
    expect(galleryAction(key('End'), 2, 10, 4)).toEqual({ kind: 'move', to: 9 })
    expect(galleryAction(key('Home'), 2, 10, 4)).toEqual({ kind: 'move', to: 0 })
  })

  it('relabels by digit, unlabels by u or 0, opens and closes the large view, undoes', () => {
    expect(galleryAction(key('2'), 0, 10, 4)).toEqual({ kind: 'label', digit: 2 })
    expect(galleryAction(key('u'), 0, 10, 4)).toEqual({ kind: 'unlabel' })
    expect(galleryAction(key('0'), 0, 10, 4)).toEqual({ kind: 'unlabel' })
    expect(galleryAction(key('Enter'), 0, 10, 4)).toEqual({ kind: 'open' })
    expect(galleryAction(key('Escape'), 0, 10, 4)).toEqual({ kind: 'close' })
    expect(galleryAction(key('z', { ctrlKey: true }), 0, 10, 4)).toEqual({ kind: 'undo' })
  })

  it('toggles "misclassified only" with M', () => {
    expect(galleryAction(key('m'), 3, 10, 4)).toEqual({ kind: 'misclassifiedOnly' })
    expect(galleryAction(key('M'), 3, 10, 4)).toEqual({ kind: 'misclassifiedOnly' })
    expect(galleryAction(key('m', { ctrlKey: true }), 3, 10, 4)).toBeNull()
  })

  it('leaves other keys and modified keys alone', () => {
    expect(galleryAction(key('x'), 0, 10, 4)).toBeNull()
    expect(galleryAction(key('2', { altKey: true }), 0, 10, 4)).toBeNull()
    expect(galleryAction(key('c', { metaKey: true }), 0, 10, 4)).toBeNull()
  })
})
