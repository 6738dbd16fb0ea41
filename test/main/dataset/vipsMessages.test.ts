import { describe, expect, it } from 'vitest'
import { isDamage, isMissingCodec, trimVipsMessage } from '../../../src/main/dataset/vipsMessages'

describe('libvips messages', () => {
  it('are trimmed to what a person needs', () => {
    expect(trimVipsMessage('VipsJpeg: premature end of JPEG image\nVipsJpeg: premature end of JPEG image\n')).toBe('premature end of JPEG image')
    expect(trimVipsMessage('Input buffer has corrupt header: source: bad seek to 1024\nsource: bad seek to 512\nheif: Invalid input: Unexpected end of file (2.100)')).toBe(
      'Invalid input: Unexpected end of file'
    )
    expect(trimVipsMessage('x'.repeat(500)).length).toBe(160)
  })

  it('tell damaged pixels from harmless quirks', () => {
    expect(isDamage('VipsJpeg: Corrupt JPEG data: bad Huffman code')).toBe(true)
    expect(isDamage('VipsJpeg: premature end of JPEG image')).toBe(true)
    expect(isDamage('VipsJpeg: Corrupt JPEG data: 21499 extraneous bytes before marker 0xd9')).toBe(true)
    expect(isDamage('VipsJpeg: Corrupt JPEG data: found marker 0xd9 instead of RST1')).toBe(true)
    expect(isDamage('VipsJpeg: Corrupt JPEG data: 1 extraneous bytes before marker 0xd9')).toBe(false)
    expect(isDamage('VipsJpeg: Corrupt JPEG data: 4 extraneous bytes before marker 0xe1')).toBe(false)
    expect(isDamage('VipsJpeg: Invalid SOS parameters for sequential JPEG')).toBe(false)
  })

  it('recognise a missing HEVC decoder', () => {
    expect(isMissingCodec('heif: Error while loading plugin: Support for this compression format has not been built in: HEVC (11.6003)')).toBe(true)
    expect(isMissingCodec('heif: Unsupported feature: Unsupported codec (4.3000)')).toBe(true)
    expect(isMissingCodec('premature end of JPEG image')).toBe(false)
  })
})
