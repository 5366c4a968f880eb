/**
 * The layout of the paper's Tables 1-5 (Foss & Silver, "A neighborly internet: investigating the
 * possibilities of P2P CDNs", MIT 2020, section 4.2), as `p2pcdn report` prints them from the
 * paper's raw results (github.com/p2p-cdn/experiments, `results/test-{1,2,3}/*.json`, written by its
 * `experiment.py`). Only the layout is here: which file each row comes from and its label, the
 * columns, the precision, and which rows the caption keeps out of the mean. Every number is
 * computed from the files (`paper-tables.ts`); none of the paper's is used to compute or print one.
 *
 * How the paper's cells derive from the files (each checked cell by cell in
 * `test/report/paper-tables.test.ts`):
 * - Akamai: the mean of the client's curl `time_total` samples (5 for the image, 3 for the video).
 * - P2P: the mean of every `ipfs get` of the source (`ipfs_mit`: "MIT", all hosts;
 *   `ipfs_residential`: "Res"), 10 for the image, 3 for the video. No get is left out: Table 4's
 *   Baker Verizon 4G cell (128.2 ms) includes the one 20 ms get.
 * - Ratio: Akamai mean / P2P mean; the mean row: the geometric mean of the ratios of the rows the
 *   caption does not exclude.
 * - Both means are exact (see `exact.ts`), rounded half up to the paper's precision.
 */
import type { ResultsEntry } from './read-results.js'

/** The `VERSION` the paper's experiment.py wrote (test 3); its test-1 and test-2 files have none. */
export const PAPER_SCRIPT_VERSION = 'v0.4.0'

/**
 * True for a file the paper's script wrote: no `VERSION`, or its `v0.4.0`. Only those fill the
 * paper's tables, so that our own `p2pcdn bench` results (which carry their own `VERSION`) get the
 * generic tables, whatever their folders and files are called.
 */
export const isPaperFile = (entry: Pick<ResultsEntry, 'results'>): boolean =>
  entry.results.VERSION === undefined || entry.results.VERSION === PAPER_SCRIPT_VERSION

/**
 * The P2P sources a test did not have, whose cells the paper leaves empty: "Test 3 completely
 * removed all MIT and CSAIL hosts" (section 4.1).
 */
export const PAPER_TESTS_WITHOUT: Readonly<Record<string, readonly string[]>> = {
  'test-3': ['ipfs_mit'],
}

/** One row of a paper table: the results file it comes from and the paper's label for it. */
export interface PaperRow {
  /** The test folder, e.g. `test-1`. */
  group: string
  /** The file name without `.json`, e.g. `client-4`. */
  client: string
  /** The paper's label, e.g. `4 (H)`, `EC Server room`. */
  label: string
  /** False for a row the caption keeps out of the mean (it is printed after the mean). */
  inMean: boolean
}

/** A P2P column group of a paper table: a source and the paper's name for it. */
export interface PaperColumn {
  source: string
  /** `MIT` (all hosts, MIT's included) or `Res` (the residential hosts only). */
  label: string
}

/** One of the paper's numbered tables. */
export interface PaperTable {
  table: number
  /** The paper's caption, word for word. */
  caption: string
  asset: string
  /** Times in milliseconds (Tables 1-4) or seconds (Table 5). */
  unit: 'ms' | 's'
  /** Decimals of the Akamai and P2P times; ratios and means always have two. */
  decimals: { origin: number; p2p: number }
  /** `P2P (<label>)` columns, each followed by its `Ratio (<label>)` when `ratios`. */
  columns: readonly PaperColumn[]
  ratios: boolean
  /** Whether the paper prints a mean row (Table 4's caption names one, but it prints none). */
  mean: boolean
  /** A leftmost column with the test of each row, under an empty header (Table 5). */
  testColumn: boolean
  /** The header of the rows' labels: `Client`, or Table 4's `Location`. */
  rowHeader: string
  /** Rows in the paper's order (those out of the mean last, after the mean row). */
  rows: readonly PaperRow[]
  /** What the report adds to the caption about the layout (never a number). */
  remarks: readonly string[]
}

const MIT: PaperColumn = { source: 'ipfs_mit', label: 'MIT' }
const RES: PaperColumn = { source: 'ipfs_residential', label: 'Res' }
const MS = {
  unit: 'ms',
  decimals: { origin: 2, p2p: 1 },
  ratios: true,
  testColumn: false,
  rowHeader: 'Client',
} as const
const IN_MS = 'Times in milliseconds. Ratio shows Akamai time divided by P2P time. Mean is geometric mean.'
const row = (group: string, client: string, label: string, inMean = true): PaperRow => ({
  group,
  client,
  label,
  inMean,
})

export const PAPER_TABLES: readonly PaperTable[] = [
  {
    table: 1,
    caption: `Test 1—P2P CDN performance vs Akamai when retrieving an iPhone image. ${IN_MS} Notable tests: Client 4 is at Harvard, Client 5 is in San Diego, and Client 6 is at MIT. We excluded 5 and 6 from the mean calculation.`,
    asset: 'iphone',
    ...MS,
    columns: [MIT, RES],
    mean: true,
    rows: [
      row('test-1', 'client-1', '1'),
      row('test-1', 'client-2', '2'),
      row('test-1', 'client-3', '3'),
      row('test-1', 'client-4', '4 (H)'),
      row('test-1', 'client-5', '5 (S)', false),
      row('test-1', 'client-6', '6 (M)', false),
    ],
    remarks: [],
  },
  {
    table: 2,
    caption: `Test 2—P2P CDN performance vs Akamai when retrieving an iPhone image. ${IN_MS} Notable tests: Client 8 is in Brookline.`,
    asset: 'iphone',
    ...MS,
    columns: [MIT, RES],
    mean: true,
    rows: [row('test-2', 'client-7', '7'), row('test-2', 'client-8', '8 (B)')],
    remarks: [],
  },
  {
    table: 3,
    caption: `Test 3—P2P CDN performance vs Akamai when retrieving an iPhone image. ${IN_MS} Notable tests: Client 6 is at MIT. We excluded 6 from the mean calculation.`,
    asset: 'iphone',
    ...MS,
    columns: [RES],
    mean: true,
    rows: [
      row('test-3', 'client-9', '9'),
      row('test-3', 'client-10', '10'),
      row('test-3', 'client-2', '2'),
      row('test-3', 'client-7', '7'),
      row('test-3', 'client-6', '6 (M)', false),
    ],
    remarks: ["Test 3's other four files (one user at four places) are Table 4."],
  },
  {
    table: 4,
    caption: `Test 3—P2P CDN performance vs Akamai when retrieving an iPhone image. ${IN_MS}`,
    asset: 'iphone',
    ...MS,
    rowHeader: 'Location',
    columns: [RES],
    mean: false,
    rows: [
      row('test-3', 'EC_serverroom', 'EC Server room'),
      row('test-3', 'Baker_ethernet', 'Baker Ethernet'),
      row('test-3', 'Baker_mit_wifi', 'Baker WiFi'),
      row('test-3', 'Baker_verizon_4g', 'Baker Verizon 4G'),
    ],
    remarks: [
      'The same user from four places (section 4.2): a wired gigabit server, MIT Ethernet, MIT WiFi and Verizon 4G, the latter three in Baker House, a dorm at MIT.',
      'The paper prints no mean row for this table.',
    ],
  },
  {
    table: 5,
    caption:
      'P2P CDN performance vs Akamai when retrieving an iPad video. Times in seconds. Leftmost column shows test number.',
    asset: 'ipad',
    unit: 's',
    decimals: { origin: 2, p2p: 2 },
    columns: [MIT, RES],
    ratios: false,
    mean: false,
    testColumn: true,
    rowHeader: 'Client',
    rows: [
      row('test-2', 'client-7', '7'),
      row('test-2', 'client-8', '8 (B)'),
      row('test-3', 'client-7', '7'),
      row('test-3', 'client-6', '6 (M)'),
      row('test-3', 'client-9', '9'),
      row('test-3', 'client-10', '10'),
      row('test-3', 'EC_serverroom', 'EC Server room'),
      row('test-3', 'Baker_mit_wifi', 'Baker WiFi'),
      row('test-3', 'Baker_ethernet', 'Baker Ethernet'),
    ],
    remarks: [
      'Test 3 had no MIT hosts. No row for test-3/client-2 and test-3/Baker_verizon_4g, as in the paper: their files hold no video fetches.',
    ],
  },
]

/** A row the paper prints but keeps out of its table's mean. */
export interface PaperExclusion {
  table: number
  group: string
  client: string
  /** The caption's sentence that excludes it. */
  reason: string
}

/** Every row out of a mean, as the captions exclude them. */
export const PAPER_EXCLUSIONS: readonly PaperExclusion[] = PAPER_TABLES.flatMap((t) =>
  t.rows
    .filter((r) => !r.inMean)
    .map((r) => ({
      table: t.table,
      group: r.group,
      client: r.client,
      reason: `the paper: "${/We excluded [^.]*\./.exec(t.caption)?.[0] ?? ''}"`,
    })),
)

/** What the paper's asset keys are. */
export const ASSET_NAMES: Readonly<Record<string, string>> = {
  iphone: '22 KB image',
  ipad: '134 MB video',
}

/** What the paper's source keys are (other `ipfs_*` sources are shown by their key). */
export const SOURCE_NAMES: Readonly<Record<string, string>> = {
  ipfs_mit: 'the MIT hosts',
  ipfs_residential: 'the residential hosts',
}
