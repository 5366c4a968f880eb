/**
 * `resolveOptions`, table-driven: every invalid value is rejected with `ERR_CONFIG_INVALID` and a
 * message that names the option, shows the value received, and says what to write instead.
 */
import { describe, expect, it } from 'vitest'
import { type P2pcdnOptions, resolveOptions } from '../src/options.js'

interface Invalid {
  name: string
  options: unknown
  /** The option the message must name, in backticks. */
  option: string
  /** The value as the message must show it. */
  shows: string
  /** What the message must say: the rule and the fix. */
  says: RegExp[]
  /** What it must not say (a wrong fix). */
  notSays?: string[]
}

const PATH = /must be a non-empty path string, e.g\. "dist"/
const BOOL = /must be true or false/
const GLOBS = /must be a list of glob patterns, e.g\. \["\*\*\/\*\.map"\]/
const PROFILE = /must be one of "unixfs-v1-2025", "unixfs-v0-2015"/

const invalid: Invalid[] = [
  // Unknown options: a typo must not be ignored.
  {
    name: 'a misspelt option',
    options: { dir: 'dist', orign: 'https://www.example.com' },
    option: 'orign',
    shows: 'orign',
    says: [/^Unknown option `orign`/, /Known options: .*\borigin\b/],
  },
  {
    name: 'an option of another tool',
    options: { dir: 'dist', outDir: 'build' },
    option: 'outDir',
    shows: 'outDir',
    says: [/^Unknown option `outDir`/, /Known options: .*\bout\b/],
  },
  // Not an options object at all.
  { name: 'null', options: null, option: 'options', shows: 'null', says: [/must be an object/] },
  { name: 'an array', options: ['dist'], option: 'options', shows: '["dist"]', says: [/must be an object/] },
  { name: 'a string', options: 'dist', option: 'options', shows: '"dist"', says: [/must be an object/] },
  // dir
  {
    name: 'no dir',
    options: {},
    option: 'dir',
    shows: 'undefined',
    says: [/is required/, /e\.g\. `p2pcdn publish \.\/dist`/],
  },
  { name: 'dir: a number', options: { dir: 42 }, option: 'dir', shows: '42', says: [PATH] },
  { name: 'dir: empty', options: { dir: '' }, option: 'dir', shows: '""', says: [PATH] },
  { name: 'dir: blank', options: { dir: '   ' }, option: 'dir', shows: '"   "', says: [PATH] },
  { name: 'dir: a list', options: { dir: ['dist'] }, option: 'dir', shows: '["dist"]', says: [PATH] },
  // out, inPlace
  { name: 'out: a number', options: { dir: 'dist', out: 1 }, option: 'out', shows: '1', says: [PATH] },
  { name: 'out: empty', options: { dir: 'dist', out: '' }, option: 'out', shows: '""', says: [PATH] },
  {
    name: 'out together with inPlace',
    options: { dir: 'dist', out: 'public', inPlace: true },
    option: 'out',
    shows: '"public"',
    says: [/cannot be combined with `inPlace`/, /choose one of them/],
  },
  {
    name: 'inPlace: a string',
    options: { dir: 'dist', inPlace: 'yes' },
    option: 'inPlace',
    shows: '"yes"',
    says: [BOOL],
  },
  { name: 'inPlace: 1', options: { dir: 'dist', inPlace: 1 }, option: 'inPlace', shows: '1', says: [BOOL] },
  // cwd, cacheDir
  { name: 'cwd: false', options: { dir: 'dist', cwd: false }, option: 'cwd', shows: 'false', says: [PATH] },
  {
    name: 'cacheDir: true',
    options: { dir: 'dist', cacheDir: true },
    option: 'cacheDir',
    shows: 'true',
    says: [PATH],
  },
  {
    name: 'cacheDir: empty',
    options: { dir: 'dist', cacheDir: '' },
    option: 'cacheDir',
    shows: '""',
    says: [PATH],
  },
  // Booleans
  {
    name: 'dotfiles: "true"',
    options: { dir: 'dist', dotfiles: 'true' },
    option: 'dotfiles',
    shows: '"true"',
    says: [BOOL],
  },
  { name: 'dryRun: 0', options: { dir: 'dist', dryRun: 0 }, option: 'dryRun', shows: '0', says: [BOOL] },
  // Patterns
  {
    name: 'include: [1]',
    options: { dir: 'dist', include: [1] },
    option: 'include',
    shows: '[1]',
    says: [GLOBS],
  },
  {
    name: 'include: [""]',
    options: { dir: 'dist', include: [''] },
    option: 'include',
    shows: '[""]',
    says: [GLOBS],
  },
  {
    name: 'include: {}',
    options: { dir: 'dist', include: {} },
    option: 'include',
    shows: '{}',
    says: [GLOBS],
  },
  {
    name: 'exclude: 42',
    options: { dir: 'dist', exclude: 42 },
    option: 'exclude',
    shows: '42',
    says: [GLOBS],
  },
  {
    name: 'exclude: ""',
    options: { dir: 'dist', exclude: '' },
    option: 'exclude',
    shows: '""',
    says: [GLOBS],
  },
  // origin
  {
    name: 'origin without a scheme',
    options: { dir: 'dist', origin: 'www.example.com' },
    option: 'origin',
    shows: '"www.example.com"',
    says: [/must be an absolute http\(s\) URL/, /"https:\/\/www\.example\.com"/],
  },
  {
    name: 'origin scheme-relative',
    options: { dir: 'dist', origin: '//www.example.com' },
    option: 'origin',
    shows: '"//www.example.com"',
    says: [/"https:\/\/www\.example\.com"/],
  },
  {
    name: 'origin without a scheme, among good ones',
    options: { dir: 'dist', origin: ['https://cdn.example.com', 'www.example.com'] },
    option: 'origin',
    shows: '"www.example.com"',
    says: [/"https:\/\/www\.example\.com"/],
  },
  {
    name: 'origin host:port without a scheme',
    options: { dir: 'dist', origin: 'localhost:8080' },
    option: 'origin',
    shows: '"localhost:8080"',
    says: [/"https?:\/\/localhost:8080"/],
  },
  {
    name: 'origin with a scheme and no host',
    options: { dir: 'dist', origin: 'http://' },
    option: 'origin',
    shows: '"http://"',
    says: [/must be an absolute http\(s\) URL/],
    notSays: ['https://http://'],
  },
  {
    name: 'origin with another scheme',
    options: { dir: 'dist', origin: 'ftp://www.example.com' },
    option: 'origin',
    shows: '"ftp://www.example.com"',
    says: [/must use http: or https:/],
  },
  {
    name: 'origin with a path',
    options: { dir: 'dist', origin: 'https://www.example.com/blog/' },
    option: 'origin',
    shows: '"https://www.example.com/blog/"',
    says: [/must be an origin without a path, e\.g\. "https:\/\/www\.example\.com"/],
  },
  {
    name: 'origin with a query',
    options: { dir: 'dist', origin: 'https://www.example.com/?utm=x' },
    option: 'origin',
    shows: '"https://www.example.com/?utm=x"',
    says: [/e\.g\. "https:\/\/www\.example\.com"/],
  },
  {
    name: 'origin: a number',
    options: { dir: 'dist', origin: 42 },
    option: 'origin',
    shows: '42',
    says: [/e\.g\. "https:\/\/www\.example\.com"/],
  },
  // profile
  {
    name: 'profile: "v1"',
    options: { dir: 'dist', profile: 'v1' },
    option: 'profile',
    shows: '"v1"',
    says: [PROFILE],
  },
  {
    name: 'profile with a trailing space',
    options: { dir: 'dist', profile: 'unixfs-v1-2025 ' },
    option: 'profile',
    shows: '"unixfs-v1-2025 "',
    says: [PROFILE],
  },
  {
    name: 'profile in capitals',
    options: { dir: 'dist', profile: 'UNIXFS-V0-2015' },
    option: 'profile',
    shows: '"UNIXFS-V0-2015"',
    says: [PROFILE],
  },
  {
    name: 'profile: a number',
    options: { dir: 'dist', profile: 2025 },
    option: 'profile',
    shows: '2025',
    says: [PROFILE],
  },
  // Library-only options
  {
    name: 'signal: not an AbortSignal',
    options: { dir: 'dist', signal: { aborted: false } },
    option: 'signal',
    shows: '{"aborted":false}',
    says: [/must be an AbortSignal/],
  },
  {
    name: 'onProgress: not a function',
    options: { dir: 'dist', onProgress: 'log' },
    option: 'onProgress',
    shows: '"log"',
    says: [/must be a function/],
  },
]

describe('resolveOptions rejects', () => {
  it.each(invalid)('$name', ({ options, option, shows, says, notSays }) => {
    const before = structuredClone(options)
    let error: (Error & { code?: string }) | undefined
    try {
      resolveOptions(options as P2pcdnOptions)
    } catch (err) {
      error = err as Error & { code?: string }
    }
    expect(error, 'resolveOptions should throw').toBeDefined()
    const { name, code, message } = error as Error & { code?: string }
    expect({ name, code }).toEqual({ name: 'P2pcdnError', code: 'ERR_CONFIG_INVALID' })
    expect(message).toContain(`\`${option}\``)
    expect(message).toContain(shows)
    for (const pattern of says) expect(message).toMatch(pattern)
    for (const wrong of notSays ?? []) expect(message).not.toContain(wrong)
    expect(options, 'the options object is left as it was').toEqual(before)
  })
})

describe('resolveOptions accepts', () => {
  it.each([
    {
      name: 'origins, normalised and deduplicated',
      options: {
        dir: 'dist',
        origin: ['https://WWW.Example.com/', 'https://www.example.com', 'http://localhost:8080'],
      },
      expected: { origins: ['https://www.example.com', 'http://localhost:8080'] },
    },
    {
      name: 'a single include pattern',
      options: { dir: 'dist', include: '**/*.js' },
      expected: { include: ['**/*.js'] },
    },
    { name: 'cacheDir: false', options: { dir: 'dist', cacheDir: false }, expected: { cacheDir: false } },
    {
      name: 'inPlace: the output is the input',
      options: { dir: 'dist', inPlace: true, cwd: '/srv/site' },
      expected: { dir: '/srv/site/dist', out: '/srv/site/dist', inPlace: true },
    },
    {
      name: 'the defaults',
      options: { dir: 'dist', cwd: '/srv/site' },
      expected: {
        out: '/srv/site/dist-p2p',
        profile: 'unixfs-v1-2025',
        include: ['**'],
        exclude: [],
        dotfiles: false,
        dryRun: false,
        origins: [],
      },
    },
  ] as { name: string; options: P2pcdnOptions; expected: Record<string, unknown> }[])(
    '$name',
    ({ options, expected }) => {
      expect(resolveOptions(options)).toMatchObject(expected)
    },
  )
})

describe('resolveOptions: serviceWorker', () => {
  const base = { dir: 'dist', gateway: 'https://gw.example.com/' }
  it.each([
    [true, ['https://gw.example.com']],
    [{ localNode: true }, ['https://gw.example.com', 'http://127.0.0.1:8080']],
    [{ sources: ['https://a.example.com/', 'https://a.example.com'] }, ['https://a.example.com']],
  ])('%j → sources %j', (serviceWorker, sources) => {
    expect(resolveOptions({ ...base, serviceWorker }).rewrite?.serviceWorker?.sources).toEqual(sources)
  })
  it('is off by default, and false turns it off', () => {
    expect(resolveOptions(base).rewrite?.serviceWorker).toBeUndefined()
    expect(resolveOptions({ ...base, serviceWorker: false }).rewrite?.serviceWorker).toBeUndefined()
  })
  it.each([
    [{ sources: ['ftp://x'] }, 'gateway'],
    [{ timeout: 5 }, 'serviceWorker.timeout'],
    ['yes', 'serviceWorker'],
  ])('%j is an error naming %s', (serviceWorker, name) => {
    expect(() => resolveOptions({ ...base, serviceWorker } as never)).toThrow(name)
  })
})

describe('resolveOptions: the default gateway is the first registered host’s', () => {
  const edge = { name: 'edge-1', url: 'https://cdn1.example.com', type: 'p2pcdn' } as const
  const kubo = { name: 'lab', url: 'http://127.0.0.1:5001', type: 'kubo' } as const
  const kuboGateway = { ...kubo, name: 'lab-gw', gateway: 'http://127.0.0.1:8080/' }
  const psa = { name: 'pinata', url: 'https://api.pinata.cloud/psa', type: 'pinning-service' } as const
  it.each([
    { name: 'no hosts: no gateway, no rewrite', hosts: [], gateway: undefined, host: undefined },
    {
      name: 'a p2pcdn host: its own URL',
      hosts: [edge],
      gateway: 'https://cdn1.example.com',
      host: 'edge-1',
    },
    {
      name: 'hosts without a known gateway are passed over, config order otherwise',
      hosts: [kubo, psa, edge],
      gateway: 'https://cdn1.example.com',
      host: 'edge-1',
    },
    {
      name: "another type's `gateway`, normalised",
      hosts: [kuboGateway, edge],
      gateway: 'http://127.0.0.1:8080',
      host: 'lab-gw',
    },
    { name: 'no host with a gateway: no rewrite', hosts: [kubo, psa], gateway: undefined, host: undefined },
  ] as const)('$name', ({ hosts, gateway, host }) => {
    const resolved = resolveOptions({ dir: 'dist', hosts: [...hosts] })
    expect(resolved.rewrite?.link.gateway).toBe(gateway)
    expect(resolved.rewrite?.gatewayHost).toBe(host)
  })
  it('an explicit gateway wins and names no host', () => {
    const resolved = resolveOptions({ dir: 'dist', hosts: [edge], gateway: 'https://gw.example.com' })
    expect(resolved.rewrite?.link.gateway).toBe('https://gw.example.com')
    expect(resolved.rewrite?.gatewayHost).toBeUndefined()
  })
  it('rewrite: false stays off, and native links name no host', () => {
    expect(resolveOptions({ dir: 'dist', hosts: [edge], rewrite: false }).rewrite).toBeUndefined()
    expect(resolveOptions({ dir: 'dist', hosts: [edge], linkFormat: 'native' }).rewrite?.gatewayHost).toBe(
      undefined,
    )
  })
  it('the service worker races it once, beside the other p2pcdn hosts', () => {
    const second = { ...edge, name: 'edge-2', url: 'https://cdn2.example.com' }
    const resolved = resolveOptions({ dir: 'dist', hosts: [edge, second], serviceWorker: true })
    expect(resolved.rewrite?.serviceWorker?.sources).toEqual([
      'https://cdn1.example.com',
      'https://cdn2.example.com',
    ])
  })
  it('a host gateway that is not an http(s) URL is an error naming it', () => {
    expect(() => resolveOptions({ dir: 'dist', hosts: [{ ...kubo, gateway: 'ipfs.example.com' }] })).toThrow(
      /`hosts\[0\]\.gateway`.*"ipfs\.example\.com"/,
    )
  })
})

describe('resolveOptions: the site name pins are made under', () => {
  const hosts = [{ name: 'edge-1', url: 'https://cdn1.example.com', type: 'p2pcdn' as const }]
  const site = (options: P2pcdnOptions) => resolveOptions({ hosts, ...options }).push
  it("defaults to the origin's host and a digest of the site: stable, and another folder's differs", () => {
    const a = site({
      dir: 'sites/a/dist',
      cwd: '/srv/p2pcdn-test-project',
      origin: 'https://www.example.com',
    })
    expect(a?.name).toMatch(/^www\.example\.com-[0-9a-f]{8}$/)
    expect(a?.site).toMatch(/^[0-9a-f]{16}$/)
    expect(a?.name.endsWith(a?.site.slice(0, 8) as string)).toBe(true)
    expect(a?.nameGiven).toBe(false)
    // The same project in another place (a fresh CI clone), published again: the same name.
    const clone = site({ dir: 'sites/a/dist', cwd: '/ci/work/project', origin: 'https://www.example.com' })
    expect(clone?.name).toBe(a?.name)
    // Another site with the same origin: its own name.
    const b = site({
      dir: 'sites/b/dist',
      cwd: '/srv/p2pcdn-test-project',
      origin: 'https://www.example.com',
    })
    expect(b?.name).toMatch(/^www\.example\.com-[0-9a-f]{8}$/)
    expect(b?.name).not.toBe(a?.name)
    expect(b?.site).not.toBe(a?.site)
    // Without an origin: the output folder's name.
    expect(site({ dir: 'dist', cwd: '/srv/p2pcdn-test-project' })?.name).toMatch(/^dist-p2p-[0-9a-f]{8}$/)
  })
  it('takes siteName as given, and says so', () => {
    const named = site({ dir: 'dist', cwd: '/srv/x', siteName: 'blog', origin: 'https://www.example.com' })
    expect(named).toMatchObject({ name: 'blog', nameGiven: true })
    expect(named?.site).toMatch(/^[0-9a-f]{16}$/)
  })
  it.each([[''], ['  '], ['x'.repeat(256)], [42]])('siteName %j is an error naming it', (siteName) => {
    expect(() => site({ dir: 'dist', siteName } as never)).toThrow(/`siteName`.*1 to 255 characters/)
  })
})
