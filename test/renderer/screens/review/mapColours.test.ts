import { describe, expect, it } from 'vitest'
import { colourPoints, EXCLUDED_COLOUR, NONE_COLOUR, SPLIT_COLOURS } from '../../../../src/renderer/src/screens/review/mapColours'

const classes = [
  { id: 7, name: 'ants' },
  { id: 3, name: 'bees' }
]
const colour = (id: number): string => (id === 7 ? '#a00000' : '#00b000')
// 6 points: ants, bees, unlabelled, ants (excluded), bees, ants
const points = { classIds: [7, 3, null, 7, 3, 7], excluded: [false, false, false, true, false, false] }
// the model: bees, bees, ants, ants, not scored, a class the project no longer has (null)
const info = { splits: ['train', 'valid', 'train', 'test', 'valid', null] as const, predicted: [3, 3, 7, 7, null, null] }

const groups = (c: ReturnType<typeof colourPoints>) => c.groups.map((g) => [g.colour, [...g.indices]])

describe('embedding map colours', () => {
  it('by label: one group per class in the classes’ order, then unlabelled, then excluded (grey in every colouring)', () => {
    const c = colourPoints(points, 'label', null, classes, colour)
    expect(groups(c)).toEqual([
      ['#a00000', [0, 5]],
      ['#00b000', [1, 4]],
      [NONE_COLOUR, [2]],
      [EXCLUDED_COLOUR, [3]]
    ])
    expect(c.legend).toEqual([
      { colour: '#a00000', name: 'ants', count: 2 },
      { colour: '#00b000', name: 'bees', count: 2 },
      { colour: NONE_COLOUR, name: 'unlabelled', count: 1 },
      { colour: EXCLUDED_COLOUR, name: 'excluded', count: 1 }
    ])
  })

  it('by prediction: the predicted class’s colour, whatever the label; unscored images are "not scored"', () => {
    const c = colourPoints(points, 'prediction', info, classes, colour)
    expect(groups(c)).toEqual([
      ['#a00000', [2]],
      ['#00b000', [0, 1]],
      [NONE_COLOUR, [4, 5]],
      [EXCLUDED_COLOUR, [3]]
    ])
    expect(c.legend.map((e) => `${e.name} ${e.count}`)).toEqual(['ants 1', 'bees 2', 'not scored 2', 'excluded 1'])
    // every point is in exactly one group
    expect(c.groups.reduce((n, g) => n + g.indices.length, 0)).toBe(6)
  })

  it('by prediction without the predictions read yet: every point not scored', () => {
    const c = colourPoints(points, 'prediction', null, classes, colour)
    expect(c.legend.map((e) => `${e.name} ${e.count}`)).toEqual(['not scored 5', 'excluded 1'])
  })

  it('by split, in train, valid, test order', () => {
    const c = colourPoints(points, 'split', info, classes, colour)
    expect(groups(c)).toEqual([
      [SPLIT_COLOURS.train, [0, 2]],
      [SPLIT_COLOURS.valid, [1, 4]],
      [NONE_COLOUR, [5]],
      [EXCLUDED_COLOUR, [3]]
    ])
  })
})
