/**
 * Access-link profiles modelled on the paper's field test (Foss & Silver 2020, Cambridge MA), and
 * the paper's three test configurations as network descriptions.
 *
 * What the seed data (`experiments/results/test-{1,2,3}/*.json`) says, and what is assumed:
 * - Clients were on MIT's campus network (ethernet, wifi; `EC_serverroom` a server room), one on
 *   Verizon 4G (`Baker_verizon_4g`). Their TCP connect time to the origin (curl `time_connect` −
 *   `time_namelookup`) was 4-35 ms, median 17 ms; the 134 MB video came from the origin at 14-454
 *   Mbit/s (most 25-160). The origin was Akamai's edge, near Boston: {@link NETEM_PROFILES.akamaiEdge}
 *   is fitted to that (2 × (6 + 2) ms = 16 ms to a campus client). The issue's experiment uses a
 *   distant, slower origin instead ({@link NETEM_PROFILES.origin}: 50 Mbit/s, 20 ms).
 * - `ipfs_mit`: hosts on the campus network. How many is not in the data; two are assumed (the
 *   paper speaks of hosts). Gigabit, 1 ms.
 * - `ipfs_residential`: one host on a residential 25/6 Mbit/s line, 15 ms, serving at 25 Mbit/s:
 *   the video came from it at 21-49 Mbit/s (see {@link NETEM_PROFILES.residentialHost}).
 * - Each test's clients are the seed files' names; each client's access profile is assumed from
 *   its name (`*_verizon_4g` mobile, `*_wifi` campus wifi, the rest campus ethernet).
 * - Rates are of Ethernet frames (a TCP payload gets ~95.6 %), delays one-way per access link: a
 *   path's RTT is 2 × (sum of both ends' delays), plus queueing.
 */
import type { LinkSpec, NodeRole, NodeSpec } from './spec.js'

/** A named access-link profile. */
export interface NetemProfile extends Readonly<LinkSpec> {
  readonly description: string
}

export const NETEM_PROFILES = {
  campusHost: {
    down: '1gbit',
    up: '1gbit',
    delayMs: 1,
    description: "A host on MIT's campus network (the paper's `ipfs_mit`): gigabit, 1 ms to the campus core.",
  },
  residentialHost: {
    // A host's upload is what it serves with. The seed data shows this host serving the video at
    // 21-49 Mbit/s (test-3 Baker_ethernet: 134 MB in 45.6 s on average; test-2 client-7: one get
    // in 21.9 s), so the 25 Mbit/s side of its 25/6 line is the one towards the clients.
    down: '6mbit',
    up: '25mbit',
    delayMs: 15,
    description:
      "The paper's residential host (`ipfs_residential`): a 25/6 Mbit/s line that serves at 25 Mbit/s (as the seed data shows), 15 ms one-way.",
  },
  symmetricHost: {
    down: '25mbit',
    up: '25mbit',
    delayMs: 15,
    description:
      "A host with 25 Mbit/s each way, 15 ms: the issue's target puts three against a 50 Mbit/s origin.",
  },
  origin: {
    down: '50mbit',
    up: '50mbit',
    delayMs: 20,
    description: 'A distant origin: 50 Mbit/s, 20 ms one-way (44 ms round trip to a campus client).',
  },
  akamaiEdge: {
    down: '1gbit',
    up: '1gbit',
    delayMs: 6,
    description:
      "The paper's origin, Akamai's edge near Boston, fitted to the seed data's median 17 ms TCP connect from campus: gigabit, 6 ms one-way.",
  },
  campusClient: {
    down: '100mbit',
    up: '100mbit',
    delayMs: 2,
    description: 'A client on the campus network (ethernet, server room): 100 Mbit/s, 2 ms.',
  },
  campusWifiClient: {
    down: '50mbit',
    up: '50mbit',
    delayMs: 4,
    description: 'A client on campus wifi: 50 Mbit/s, 4 ms.',
  },
  mobileClient: {
    down: '20mbit',
    up: '5mbit',
    delayMs: 30,
    description: "A client on 4G (the paper's `Baker_verizon_4g`): 20/5 Mbit/s, 30 ms one-way.",
  },
} as const satisfies Record<string, NetemProfile>

export type NetemProfileName = keyof typeof NETEM_PROFILES

/** The paper's assets, by their key in the results files. Sizes are the paper's rounded ones. */
export const PAPER_ASSETS = {
  iphone: { description: '22 KB image', approxBytes: 22_000 },
  ipad: { description: '134 MB video', approxBytes: 134_000_000 },
} as const

export type PaperAsset = keyof typeof PAPER_ASSETS

/** A client of an experiment: its node, the results file it stands for, what it fetches. */
export interface ExperimentClient {
  /** Node name in the experiment's network. */
  node: string
  /** The results file's name in the paper's data (without `.json`). */
  results: string
  profile: NetemProfileName
  assets: readonly PaperAsset[]
}

/** One test configuration: who is in the network, which hosts form which results source. */
export interface NetemExperiment {
  /** The results folder name, e.g. `test-1`. */
  id: string
  description: string
  origin: { node: string; profile: NetemProfileName }
  hosts: readonly { node: string; profile: NetemProfileName }[]
  clients: readonly ExperimentClient[]
  /** Results key (`ipfs_mit`, …) → the host nodes that serve it. */
  sources: Readonly<Record<`ipfs_${string}`, readonly string[]>>
  /** Samples per client and asset, as in the seed data: origin (curl) and P2P gets per source. */
  samples: Readonly<Partial<Record<PaperAsset, { origin: number; p2p: number }>>>
}

const PAPER_SAMPLES = { iphone: { origin: 5, p2p: 10 }, ipad: { origin: 3, p2p: 3 } } as const
const campusHosts = [
  { node: 'mit-1', profile: 'campusHost' },
  { node: 'mit-2', profile: 'campusHost' },
] as const
const residential = { node: 'residential', profile: 'residentialHost' } as const
const client = (
  results: string,
  profile: NetemProfileName,
  assets: readonly PaperAsset[],
): ExperimentClient => ({
  node: results.toLowerCase().replace(/_/g, '-'),
  results,
  profile,
  assets,
})
const both: readonly PaperAsset[] = ['iphone', 'ipad']

/** The paper's three tests, as the seed data's folders and keys show them. */
export const PAPER_EXPERIMENTS: readonly NetemExperiment[] = [
  {
    id: 'test-1',
    description: 'MIT campus hosts and a residential host; six campus clients fetch the 22 KB image.',
    origin: { node: 'origin', profile: 'akamaiEdge' },
    hosts: [...campusHosts, residential],
    clients: [1, 2, 3, 4, 5, 6].map((n) => client(`client-${n}`, 'campusClient', ['iphone'])),
    sources: { ipfs_mit: ['mit-1', 'mit-2'], ipfs_residential: ['residential'] },
    samples: { iphone: PAPER_SAMPLES.iphone },
  },
  {
    id: 'test-2',
    description: 'The same hosts; two campus clients fetch the 22 KB image and the 134 MB video.',
    origin: { node: 'origin', profile: 'akamaiEdge' },
    hosts: [...campusHosts, residential],
    clients: [client('client-7', 'campusClient', both), client('client-8', 'campusClient', both)],
    sources: { ipfs_mit: ['mit-1', 'mit-2'], ipfs_residential: ['residential'] },
    samples: PAPER_SAMPLES,
  },
  {
    id: 'test-3',
    description: 'The residential host alone; nine clients (campus ethernet and wifi, a server room, 4G).',
    origin: { node: 'origin', profile: 'akamaiEdge' },
    hosts: [residential],
    clients: [
      client('Baker_ethernet', 'campusClient', both),
      client('Baker_mit_wifi', 'campusWifiClient', both),
      client('Baker_verizon_4g', 'mobileClient', ['iphone']),
      client('EC_serverroom', 'campusClient', both),
      client('client-10', 'campusClient', both),
      client('client-2', 'campusClient', ['iphone']),
      client('client-6', 'campusClient', both),
      client('client-7', 'campusClient', both),
      client('client-9', 'campusClient', both),
    ],
    sources: { ipfs_residential: ['residential'] },
    samples: PAPER_SAMPLES,
  },
]

/**
 * The issue's target: three 25 Mbit/s hosts against a distant 50 Mbit/s origin, one campus client
 * fetching the 134 MB video (P2P time ≤ origin time when the hosts serve it in parallel).
 */
export const PARALLEL_HOSTS_EXPERIMENT: NetemExperiment = {
  id: 'parallel-hosts',
  description: 'Three 25 Mbit/s hosts in parallel against a 50 Mbit/s origin 20 ms away; the 134 MB video.',
  origin: { node: 'origin', profile: 'origin' },
  hosts: [1, 2, 3].map((n) => ({ node: `host-${n}`, profile: 'symmetricHost' as const })),
  clients: [client('client', 'campusClient', ['ipad'])],
  sources: { ipfs_hosts: ['host-1', 'host-2', 'host-3'] },
  samples: { ipad: PAPER_SAMPLES.ipad },
}

const nodeSpec = (name: string, role: NodeRole, profile: NetemProfileName): NodeSpec => {
  const { description: _, ...link } = NETEM_PROFILES[profile]
  return { name, role, link }
}

/**
 * The nodes of an experiment's network, for `createNetwork({ nodes })`: origin, hosts, then the
 * clients (all of them, or only those named).
 */
export function experimentNodes(experiment: NetemExperiment, clients?: readonly string[]): NodeSpec[] {
  return [
    nodeSpec(experiment.origin.node, 'origin', experiment.origin.profile),
    ...experiment.hosts.map((host) => nodeSpec(host.node, 'host', host.profile)),
    ...experiment.clients
      .filter((c) => clients === undefined || clients.includes(c.node) || clients.includes(c.results))
      .map((c) => nodeSpec(c.node, 'client', c.profile)),
  ]
}
