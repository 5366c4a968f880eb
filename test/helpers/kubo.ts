/**
 * Kubo's deterministic test inputs, reproduced byte for byte (github.com/ipfs/kubo):
 * `test/cli/testutils/random_deterministic.go` (`DeterministicRandomReader`: ChaCha20 keystream,
 * key = sha256(seed), zero nonce, counter 0) and `test/cli/add_test.go` (`createDeterministicFiles`).
 */
import { createCipheriv, createHash } from 'node:crypto'

const MiB = 1024 * 1024

/** `testutils.AlphabetEasy` (random_files.go), 39 runes: note the doubled '0'. */
const ALPHABET_EASY = 'abcdefghijklmnopqrstuvwxyz01234567890-_'

/**
 * Kubo's `DeterministicRandomReaderBytes(size, seed)`: the ChaCha20 keystream for key sha256(seed),
 * zero nonce, from block counter 0, cut at `size` bytes. Yields 1 MiB pieces.
 */
export function* deterministicBytes(size: number, seed: string): Generator<Buffer> {
  const key = createHash('sha256').update(seed).digest()
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16))
  const zeros = Buffer.alloc(MiB)
  for (let left = size; left > 0; left -= MiB) {
    yield cipher.update(left >= MiB ? zeros : zeros.subarray(0, left))
  }
}

/** Kubo's `createDeterministicFiles` (add_test.go): names drawn from a 1 MiB stream, each file "x". */
export function deterministicNames(
  count: number,
  nameLen: number,
  lastNameLen: number,
  seed: string,
): string[] {
  const stream = Buffer.concat([...deterministicBytes(MiB, seed)])
  const names: string[] = []
  let offset = 0
  for (let i = 0; i < count; i++) {
    const len = i === count - 1 ? lastNameLen : nameLen
    let name = ''
    for (const byte of stream.subarray(offset, offset + len))
      name += ALPHABET_EASY[byte % ALPHABET_EASY.length]
    names.push(name)
    offset += len
  }
  return names
}
