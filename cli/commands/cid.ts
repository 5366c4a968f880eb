import { cidOfPath, type ProfileName } from '../../src/index.js'

export async function runCid(target: string, flags: { profile: string; hidden?: boolean }): Promise<void> {
  const cid = await cidOfPath(target, {
    profile: flags.profile as ProfileName,
    hidden: flags.hidden === true,
  })
  process.stdout.write(`${cid.toString()}\n`)
}
