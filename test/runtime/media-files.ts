/**
 * Small real media files made from scratch for the browser tests: a PNG, a
 * TrueType font and a WAV that Chromium decodes, so that "renders" means the
 * browser really decoded the bytes (the fixture site's font is random bytes).
 */
import { deflateSync } from 'node:zlib'

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Buffer): number {
  let c = 0xffffffff
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

/** A `width`×`height` PNG of one RGB colour. */
export function solidPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit, truecolour, deflate, no filter, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())])
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

/** Big-endian fields: [bits, value] pairs. */
function fields(...parts: [8 | 16 | 32, number][]): Buffer {
  const out = Buffer.alloc(parts.reduce((n, [bits]) => n + bits / 8, 0))
  let at = 0
  for (const [bits, value] of parts) {
    if (bits === 8) out.writeUInt8(value & 0xff, at)
    else if (bits === 16) out.writeUInt16BE(value & 0xffff, at)
    else out.writeUInt32BE(value >>> 0, at)
    at += bits / 8
  }
  return out
}

function tableChecksum(table: Buffer): number {
  const padded = Buffer.concat([table, Buffer.alloc((4 - (table.length % 4)) % 4)])
  let sum = 0
  for (let i = 0; i < padded.length; i += 4) sum = (sum + padded.readUInt32BE(i)) >>> 0
  return sum
}

/**
 * A TrueType font whose every printable ASCII character is a full square one
 * em wide, so that text set in it measures exactly `length × font-size`,
 * which no system fallback font does: a width check proves the font loaded.
 */
export function boxFont(family: string): Buffer {
  const em = 1000
  const numGlyphs = 2
  // Glyph 1: a square 0..1000 × 0..800, one contour of four on-curve points.
  const box = Buffer.concat([
    fields([16, 1], [16, 0], [16, 0], [16, em], [16, 800], [16, 3], [16, 0]),
    Buffer.from([1, 1, 1, 1]),
    fields([16, 0], [16, em], [16, 0], [16, -em]), // x deltas
    fields([16, 0], [16, 0], [16, 800], [16, 0]), // y deltas
  ])
  const glyf = Buffer.concat([box, Buffer.alloc(box.length % 2)])
  const name = (id: number, text: string) => ({ id, bytes: Buffer.from(text, 'utf16le').swap16() })
  const names = [name(1, family), name(2, 'Regular'), name(4, family), name(6, family.replace(/\W/g, ''))]
  let stringAt = 0
  const tables: Record<string, Buffer> = {
    'OS/2': fields(
      [16, 4],
      [16, em],
      [16, 400],
      [16, 5],
      [16, 0],
      [16, 650],
      [16, 600],
      [16, 0],
      [16, 75],
      [16, 650],
      [16, 600],
      [16, 0],
      [16, 350],
      [16, 50],
      [16, 300],
      [16, 0],
      [32, 0],
      [32, 0],
      [16, 0], // family class, panose (10 bytes)
      [32, 1],
      [32, 0],
      [32, 0],
      [32, 0], // Unicode ranges: Basic Latin
      [32, 0x4e4f4e45],
      [16, 0x40],
      [16, 0x20],
      [16, 0x7e], // vendor 'NONE', REGULAR, first, last
      [16, 800],
      [16, -200],
      [16, 0],
      [16, 800],
      [16, 200],
      [32, 1],
      [32, 0],
      [16, 500],
      [16, 700],
      [16, 0],
      [16, 0x20],
      [16, 1],
    ),
    cmap: Buffer.concat([
      fields([16, 0], [16, 1], [16, 3], [16, 1], [32, 12]),
      // format 4: 0x20..0x7E through glyphIdArray (all glyph 1), and the closing 0xFFFF segment
      fields([16, 4], [16, 32 + 2 * 95], [16, 0], [16, 4], [16, 4], [16, 1], [16, 0]),
      fields([16, 0x7e], [16, 0xffff], [16, 0], [16, 0x20], [16, 0xffff], [16, 0], [16, 1], [16, 4], [16, 0]),
      fields(...Array.from({ length: 95 }, (): [16, number] => [16, 1])),
    ]),
    glyf,
    head: fields(
      [32, 0x00010000],
      [32, 0x00010000],
      [32, 0],
      [32, 0x5f0f3cf5],
      [16, 0x000b],
      [16, em],
      [32, 0],
      [32, 0],
      [32, 0],
      [32, 0],
      [16, 0],
      [16, 0],
      [16, em],
      [16, 800],
      [16, 0],
      [16, 8],
      [16, 2],
      [16, 0],
      [16, 0],
    ),
    hhea: fields(
      [32, 0x00010000],
      [16, 800],
      [16, -200],
      [16, 0],
      [16, em],
      [16, 0],
      [16, 0],
      [16, em],
      [16, 1],
      [16, 0],
      [16, 0],
      [16, 0],
      [16, 0],
      [16, 0],
      [16, 0],
      [16, 0],
      [16, numGlyphs],
    ),
    hmtx: fields([16, em], [16, 0], [16, em], [16, 0]),
    loca: fields([16, 0], [16, 0], [16, glyf.length / 2]),
    maxp: fields(
      [32, 0x00010000],
      [16, numGlyphs],
      [16, 4],
      [16, 1],
      [16, 0],
      [16, 0],
      [16, 2],
      [16, 0],
      [16, 0],
      [16, 0],
      [16, 0],
      [16, 0],
      [16, 0],
      [16, 0],
      [16, 0],
    ),
    name: Buffer.concat([
      fields([16, 0], [16, names.length], [16, 6 + 12 * names.length]),
      ...names.map(({ id, bytes }) => {
        const record = fields([16, 3], [16, 1], [16, 0x409], [16, id], [16, bytes.length], [16, stringAt])
        stringAt += bytes.length
        return record
      }),
      ...names.map(({ bytes }) => bytes),
    ]),
    post: fields(
      [32, 0x00030000],
      [32, 0],
      [16, -100],
      [16, 50],
      [32, 0],
      [32, 0],
      [32, 0],
      [32, 0],
      [32, 0],
    ),
  }
  const tags = Object.keys(tables).sort()
  const directorySize = 12 + 16 * tags.length
  let offset = directorySize
  const records: Buffer[] = []
  const bodies: Buffer[] = []
  for (const tag of tags) {
    const table = tables[tag] as Buffer
    records.push(
      fields(
        [32, Buffer.from(tag, 'latin1').readUInt32BE(0)],
        [32, tableChecksum(table)],
        [32, offset],
        [32, table.length],
      ),
    )
    const padded = Buffer.concat([table, Buffer.alloc((4 - (table.length % 4)) % 4)])
    bodies.push(padded)
    offset += padded.length
  }
  const entrySelector = Math.floor(Math.log2(tags.length))
  const searchRange = 2 ** entrySelector * 16
  const font = Buffer.concat([
    fields(
      [32, 0x00010000],
      [16, tags.length],
      [16, searchRange],
      [16, entrySelector],
      [16, tags.length * 16 - searchRange],
    ),
    ...records,
    ...bodies,
  ])
  // head.checkSumAdjustment makes the whole font sum to 0xB1B0AFBA.
  const headAt = directorySize + bodies.slice(0, tags.indexOf('head')).reduce((n, b) => n + b.length, 0)
  font.writeUInt32BE((0xb1b0afba - tableChecksum(font)) >>> 0, headAt + 8)
  return font
}

/** 8-bit mono PCM `samples` at `rate` Hz as a WAV file. */
export function pcmWav(samples: Buffer, rate = 8000): Buffer {
  const header = Buffer.alloc(44)
  header.write('RIFF', 0, 'latin1')
  header.writeUInt32LE(36 + samples.length, 4)
  header.write('WAVEfmt ', 8, 'latin1')
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20) // PCM
  header.writeUInt16LE(1, 22) // mono
  header.writeUInt32LE(rate, 24)
  header.writeUInt32LE(rate, 28) // bytes per second
  header.writeUInt16LE(1, 32) // block align
  header.writeUInt16LE(8, 34) // bits per sample
  header.write('data', 36, 'latin1')
  header.writeUInt32LE(samples.length, 40)
  return Buffer.concat([header, samples])
}

/** A quarter second of a 440 Hz tone: 8 kHz, 8-bit mono PCM WAV. */
export function toneWav(): Buffer {
  const rate = 8000
  const samples = Buffer.from(
    Array.from(
      { length: rate / 4 },
      (_, i) => 128 + Math.round(60 * Math.sin((2 * Math.PI * 440 * i) / rate)),
    ),
  )
  return pcmWav(samples, rate)
}
