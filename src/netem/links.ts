/**
 * One node's access link: devices, addresses, routes, static neighbours and shaping, plus the
 * underlay between the router and the delay relays. See `network.ts` for the picture.
 */
import { VXLAN_PORT } from './relay.js'
import { tbfArgs } from './shaping.js'
import { gatewayAddress, nodeAddress, type ResolvedNode } from './spec.js'

/** Splits a command line of names and numbers (none has a space) into arguments. */
const words = (line: string) => line.split(' ')

/** Runs one command of the build (`ip …`, `tc …`); throws if it fails. */
export type Step = (file: string, args: string[]) => Promise<void>

/** The router's underlay address, where every VXLAN socket lives. */
export const ROUTER_UNDERLAY = '10.78.0.1'
/** The delay namespace's own underlay address. */
export const RELAY_UNDERLAY = '10.78.0.2'
/** Where node <index>'s relay listens. */
export const relayAddress = (index: number) => `10.78.1.${index}`
/** Locally administered MACs: 02:77:00:00:<index>:<side>, side 1 router, 2 node. */
const mac = (index: number, side: 1 | 2) => `02:77:00:00:${index.toString(16).padStart(2, '0')}:0${side}`

/** The veth pair between the router and the delay namespace, with one address per relay. */
export async function buildUnderlay(
  router: string,
  delay: string,
  delayed: readonly ResolvedNode[],
  step: Step,
) {
  await step(
    'ip',
    words(`-n ${router} link add name ul0 mtu 1600 type veth peer name ul0 mtu 1600 netns ${delay}`),
  )
  await step('ip', ['-n', router, 'addr', 'add', `${ROUTER_UNDERLAY}/16`, 'dev', 'ul0'])
  await step('ip', ['-n', delay, 'addr', 'add', `${RELAY_UNDERLAY}/16`, 'dev', 'ul0'])
  for (const node of delayed) {
    await step('ip', ['-n', delay, 'addr', 'add', `${relayAddress(node.index)}/16`, 'dev', 'ul0'])
  }
  await step('ip', ['-n', router, 'link', 'set', 'ul0', 'up'])
  await step('ip', ['-n', delay, 'link', 'set', 'ul0', 'up'])
}

/** The link between a node and the router: devices, addresses, routes, neighbours, shaping. */
export async function buildLink(
  node: ResolvedNode,
  namespace: string,
  router: string,
  step: Step,
): Promise<void> {
  const i = node.index
  const routerSide = `n${i}`
  const [routerMac, nodeMac] = [mac(i, 1), mac(i, 2)]
  if (node.link.delayMs > 0) {
    const vni = i * 2
    const vxlan = (name: string, address: string, id: number) =>
      words(
        `-n ${router} link add name ${name} address ${address} mtu 1500 txqueuelen 1000 type vxlan id ${id} ` +
          `local ${ROUTER_UNDERLAY} remote ${relayAddress(i)} dstport ${VXLAN_PORT} nolearning`,
      )
    await step('ip', vxlan(`v${i}`, nodeMac, vni))
    await step('ip', vxlan(routerSide, routerMac, vni + 1))
    // One packet per skb: the relay must see datagrams that fit a 1500-byte link, never the
    // 64 KB segments TSO or GRO would otherwise hand to a VXLAN device.
    await step('ip', ['-n', router, 'link', 'set', `v${i}`, 'gso_max_segs', '1'])
    await step('ip', ['-n', router, 'link', 'set', routerSide, 'gso_max_segs', '1'])
    await step('ip', ['-n', router, 'link', 'set', `v${i}`, 'netns', namespace])
    await step('ip', ['-n', namespace, 'link', 'set', `v${i}`, 'name', 'eth0'])
  } else {
    await step(
      'ip',
      words(
        `-n ${router} link add name ${routerSide} address ${routerMac} type veth peer name eth0 address ${nodeMac} netns ${namespace}`,
      ),
    )
  }
  await step('ip', ['-n', router, 'addr', 'add', `${gatewayAddress(i)}/24`, 'dev', routerSide])
  await step('ip', ['-n', namespace, 'addr', 'add', `${nodeAddress(i)}/24`, 'dev', 'eth0'])
  await step('ip', ['-n', router, 'link', 'set', routerSide, 'up'])
  await step('ip', ['-n', namespace, 'link', 'set', 'eth0', 'up'])
  await step('ip', ['-n', namespace, 'route', 'add', 'default', 'via', gatewayAddress(i)])
  await step(
    'ip',
    words(`-n ${namespace} neigh replace ${gatewayAddress(i)} lladdr ${routerMac} dev eth0 nud permanent`),
  )
  await step(
    'ip',
    words(`-n ${router} neigh replace ${nodeAddress(i)} lladdr ${nodeMac} dev ${routerSide} nud permanent`),
  )
  await step('tc', tbfArgs(router, routerSide, node.link.down, node.link.queueMs))
  await step('tc', tbfArgs(namespace, 'eth0', node.link.up, node.link.queueMs))
}
