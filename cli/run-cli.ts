import { Command, CommanderError, Option } from 'commander'
import { P2pcdnError, PROFILES, packageVersion } from '../src/index.js'
import { EXIT, exitCodeFor } from './exit-codes.js'

let debug = false

/** Prints an error without a stack (with `--debug`, with it) and sets the exit code. */
export function handleCliError(err: unknown): void {
  if (err instanceof CommanderError) {
    // Commander has already printed its message (or the help text).
    process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE
    return
  }
  const known = err instanceof P2pcdnError
  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(`p2pcdn: ${message}\n`)
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`)
  else if (!known) process.stderr.write('Run again with --debug to see the stack trace.\n')
  process.exitCode = exitCodeFor(known ? err.code : undefined)
}

const profileOption = () =>
  new Option('--profile <name>', 'UnixFS CID profile (IPIP-499)').choices(PROFILES as unknown as string[])

/** Builds the command-line program. Commands are loaded when they run. */
export function createProgram(): Command {
  const program = new Command('p2pcdn')
    .description('Deliver a website through a peer-to-peer CDN on IPFS.')
    .version(packageVersion(), '-v, --version')
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .hook('preAction', (cmd) => {
      debug = cmd.opts().debug === true
    })

  program
    .command('publish')
    .description('Import a site folder into IPFS and write its P2P variant, a CAR and a manifest')
    .argument('[dir]', 'the site folder, e.g. ./dist (or `dir` in the config file)')
    .option('-o, --out <dir>', 'output folder (default: <dir>-p2p beside the input)')
    .option('--in-place', 'replace the input folder with the P2P variant')
    .option('--origin <url...>', "the site's own origin(s), e.g. https://www.example.com")
    .addOption(profileOption())
    .option(
      '-c, --config <file>',
      'config file (default: p2pcdn.config.{ts,mjs,js,json} in the working folder)',
    )
    .option('--include <glob...>', 'glob patterns of the files that are assets (default: all)')
    .option('--exclude <glob...>', 'glob patterns of files that are not assets (still copied)')
    .option('--dotfiles', 'treat dotfiles as assets, like `ipfs add --hidden`')
    .option(
      '--gateway <url>',
      "IPFS gateway the rewritten links point at, e.g. a host node's gateway (default: the first registered host's)",
    )
    .addOption(
      new Option('--link-format <format>', 'how IPFS links are written (default: path)').choices([
        'path',
        'subdomain',
        'native',
      ]),
    )
    .option('--no-rewrite', 'do not rewrite pages and stylesheets (a faithful copy)')
    .option('--no-sri', 'leave scripts and stylesheets on the origin instead of rewriting them with SRI')
    .option(
      '--fallback-timeout <ms>',
      'how long the fallback runtime waits for IPFS before the origin (default: 3000)',
    )
    .option('--car [file]', 'also write the site as a CAR (default file: <out>.car, beside the output)')
    .option('--cache-dir <dir>', 'cache folder: what earlier runs imported (default: ~/.cache/p2pcdn)')
    .option('--no-cache', 'no cache: read and hash every file')
    .option('--cache-max-size <size>', 'keep the cache folder under this size, e.g. 64MB (default: 64MiB)')
    .option('--service-worker', "ship the visitor's service worker: assets from the hosts, verified, cached")
    .option(
      '--sw-source <url...>',
      "the service worker's trustless gateways (default: --gateway and the p2pcdn hosts)",
    )
    .option(
      '--sw-router <url...>',
      "where the service worker asks for the site's providers (/routing/v1; default: its sources)",
    )
    .option('--no-sw-router', 'no discovery: the service worker keeps its publish-time sources')
    .option('--no-push', 'do not push to the registered hosts')
    .option('--replication <n>', 'hosts that must pin the site (default: every registered host)')
    .option('--wait', 'wait until hosts report the site pinned (the default)')
    .option('--no-wait', 'accepted by the hosts is enough')
    .option(
      '--site-name <name>',
      "pin name; a host's earlier pin of that name is replaced, whichever site made it (default: this site's own, e.g. www.example.com-3f9a1c0b)",
    )
    .option('--push-timeout <seconds>', 'give up on a host after this long (default: 600)')
    .option(
      '--push-listen <multiaddr...>',
      'listen addresses of the node serving blocks to hosts (default: /ip4/0.0.0.0/tcp/0)',
    )
    .option('--no-ipns', "do not sign an IPNS record (the site's name) for this version")
    .option(
      '--ipns-key <file>',
      "the site's IPNS key, as `ipfs key export` writes it (default: $P2PCDN_IPNS_KEY, else ~/.config/p2pcdn/keys/<site id>.key, made on first use)",
    )
    .option('--ipns-lifetime <duration>', 'how long the IPNS record is valid, e.g. 7d or 48h (default: 7d)')
    .option('--json', 'print the result as one JSON object on stdout')
    .option('--dry-run', 'compute CIDs and report, write nothing')
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (dir: string | undefined, flags: Record<string, unknown>, cmd: Command) => {
      const { runPublish } = await import('./commands/publish.js')
      await runPublish(dir, flags, cmd)
    })

  program
    .command('cid')
    .description('Print the CID that `ipfs add -r --only-hash -Q` gives for a file or folder')
    .argument('<path>', 'a file or folder')
    .addOption(profileOption().default('unixfs-v1-2025'))
    .option('--hidden', 'include dotfiles in folders, like `ipfs add --hidden`')
    .action(async (target: string, flags: { profile: string; hidden?: boolean }) => {
      const { runCid } = await import('./commands/cid.js')
      await runCid(target, flags)
    })

  program
    .command('speedtest')
    .description(
      'Compare page load times of the origin and P2P variants of a site in Chromium (the paper’s Figure 1)',
    )
    .argument('<p2p-dir>', 'the folder `p2pcdn publish` wrote, e.g. dist-p2p')
    .option('--origin-dir <dir>', 'the site folder that was published (default: <p2p-dir> without -p2p)')
    .option('--page <path>', 'the page to load, relative to the site root', 'index.html')
    .option('--runs <n>', 'loads per variant, alternating, each with a cold cache (default: 5)')
    .option('--port <n>', 'port of the server on 127.0.0.1 (default: 0, any free one)')
    .option('--chromium <path>', 'Chromium or Chrome binary (default: /usr/bin/chromium)')
    .option('--timeout <ms>', 'fail when one page load takes longer (default: 30000)')
    .option('--headless', 'measure in headless Chromium (the default without a terminal, or with --json)')
    .option('--no-headless', 'serve the side-by-side page instead, like --open')
    .option('--open', 'serve the side-by-side page, print its URL and wait (Ctrl-C stops it)')
    .option('--json', 'print the result as one JSON object on stdout')
    .action(async (p2pDir: string, flags: Record<string, unknown>) => {
      const { runSpeedtestCommand } = await import('./commands/speedtest.js')
      await runSpeedtestCommand(p2pDir, flags)
    })

  program
    .command('report')
    .description(
      "Print the paper's Tables 1-5 (origin / P2P ratios per client, geometric means) from results files",
    )
    .argument('<results...>', 'results files, or folders of them (read recursively; a folder is a test)')
    .option('--svg <dir>', 'also write one SVG chart per table into this folder')
    .option('--json', 'print the tables as one JSON object on stdout instead of text')
    .option('--all-clients', 'keep the clients the paper leaves out of its tables')
    .action(async (inputs: string[], flags: Record<string, unknown>) => {
      const { runReport } = await import('./commands/report.js')
      await runReport(inputs, flags)
    })

  program
    .command('bench')
    .description(
      "Time a site's files from the origin and from P2P hosts, in the paper's results format (read by `p2pcdn report`)",
    )
    .option('--manifest <file>', 'the p2pcdn-manifest.json of a published site (or its output folder)')
    .option('--origin <url>', "the site's origin, with --manifest (default: the manifest's first origin)")
    .option(
      '--asset <[name=]path...>',
      'site paths to fetch, with --manifest, e.g. iphone=img/iphone.jpg (default: every unchanged asset)',
    )
    .option(
      '--origin-url <name=url...>',
      'a file by its origin URL, e.g. iphone=https://www.example.com/img/iphone.jpg',
    )
    .option('--cid <name=cid...>', 'the CID of a file named by --origin-url (or of a P2P-only file)')
    .option(
      '--gateway <[name=]url...>',
      "hosts' gateway URLs; each is a `gateway` source (results key ipfs_<name>)",
    )
    .option(
      '--peer <[name=]multiaddr...>',
      "hosts' libp2p multiaddrs for the `bitswap` source (peers with one name form one source)",
    )
    .option(
      '--sources <list>',
      'P2P sources among gateway,hosts,bitswap (default: gateway with --gateway, hosts with 2+ gateways, bitswap with --peer)',
    )
    .option('--p2p-only', 'no origin fetches')
    .option('--runs <n>', 'timed samples per asset and P2P source (default: 10)')
    .option('--origin-runs <n>', 'timed origin samples per asset (default: --runs)')
    .option('--warmup <n>', 'untimed rounds first (default: 0)')
    .option('--timeout <ms>', 'fail a sample that takes longer (default: 120000)')
    .option('--client <name>', 'a name for this client in the results, e.g. client-1')
    .option('--out <file>', 'write the results file (atomically)')
    .option('--json', 'print the results file on stdout (the default without --out)')
    .option('--quiet', 'no line per sample on stderr')
    .action(async (flags: Record<string, unknown>) => {
      const { runBenchCommand } = await import('./commands/bench.js')
      await runBenchCommand(flags)
    })

  addHostCommands(program)
  addHostsCommands(program)
  addCacheCommands(program)
  pointToHelpAfterErrors(program)

  return program
}

/**
 * A usage error (an unknown or mistyped flag, a bad choice) prints commander's one-line error and
 * where the help is, not the whole help text.
 */
function pointToHelpAfterErrors(command: Command, names: string[] = []): void {
  const path = ['p2pcdn', ...names].join(' ')
  command.showHelpAfterError(`See '${path} --help'.`)
  for (const sub of command.commands) pointToHelpAfterErrors(sub, [...names, sub.name()])
}

/** `p2pcdn host --help` shows the options of `host run`, the default subcommand, after the subcommands. */
function describeDefaultSubcommand(parent: Command, run: Command): void {
  parent.addHelpText('after', () => {
    const help = run.createHelp()
    const options = help.visibleOptions(run)
    const width = Math.max(...options.map((o) => help.optionTerm(o).length))
    const lines = options.map((o) => `  ${help.optionTerm(o).padEnd(width)}  ${help.optionDescription(o)}`)
    return `\n\`p2pcdn ${parent.name()}\` is \`p2pcdn ${parent.name()} ${run.name()}\`; its options:\n${lines.join('\n')}`
  })
}

/** `p2pcdn host` and its subcommands. */
function addHostCommands(program: Command): void {
  const repoOption = () =>
    new Option('--repo <dir>', 'host repo folder (default: ~/.local/share/p2pcdn/host)')
  const host = program
    .command('host')
    .description('Run a host node: pins sites, serves them over IPFS and HTTP, finds the other hosts')
  const run = host
    .command('run', { isDefault: true })
    .description('Run the host in the foreground (the default subcommand)')
    .addOption(repoOption())
    .option(
      '--http <host:port>',
      'HTTP port for the gateway, Pinning Service API and CAR upload (port 0: any free one)',
      '127.0.0.1:4080',
    )
    .option(
      '--listen <multiaddr...>',
      'libp2p listen addresses (default: TCP 4011 and WebSockets 4012 on all interfaces)',
    )
    .option('--announce <multiaddr...>', 'addresses to announce instead of the listen addresses')
    .option(
      '--announce-http <url>',
      "public URL of this host's HTTP gateway, announced to peers and in routing answers (default: the --http address)",
    )
    .option('--bootstrap <multiaddr...>', 'peers to connect to at start (none by default)')
    .addOption(new Option('--dht <mode>', 'DHT to join').choices(['lan', 'public', 'off']).default('lan'))
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS and secure WebSockets')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--auto-tls', 'get a certificate for secure WebSockets with libp2p AutoTLS (public hosts only)')
    .option('--storage-max <size>', 'storage quota, e.g. 50GB; pins beyond it are refused')
    .option('--session <name>', "CDN session name (default: the paper's unnamed session)")
    .option('--no-session', 'turn session discovery off')
    .option('--session-period <ms>', 'session length in milliseconds (default: 60000)')
    .option('--pin-timeout <seconds>', 'fail a pin whose content is not found in this time (default: 600)')
    .option('--follow <name...>', 'IPNS names of sites to follow: each new version is fetched and pinned')
    .option(
      '--follow-from <url...>',
      'hosts (HTTP URLs) asked first for the followed sites and their content',
    )
    .option('--follow-interval <seconds>', 'how often a followed name is checked (default: 30)')
    .option(
      '--follow-grace <seconds>',
      "how long a followed site's previous version stays pinned (default: 600)",
    )
    .option(
      '-c, --config <file>',
      'host config file (JSON, the flags in camelCase); <repo>/host.json is read too',
    )
    .option('--json', 'print the addresses in use as one JSON object on stdout')
    .action(async (flags: Record<string, unknown>, cmd: Command) => {
      const { runHost } = await import('./commands/host.js')
      await runHost(flags, cmd)
    })
  describeDefaultSubcommand(host, run)
  const token = host
    .command('token')
    .description('Manage bearer tokens for the Pinning Service API and CAR upload')
  token
    .command('create')
    .description('Create a token and print it on stdout (shown only once)')
    .addOption(repoOption())
    .option('--label <text>', 'a note to tell tokens apart, e.g. "ci"')
    .action(async (flags: { repo?: string; label?: string }) => {
      const { runTokenCreate } = await import('./commands/host.js')
      await runTokenCreate(flags)
    })
  token
    .command('list')
    .description('List token ids, dates and labels (never the tokens)')
    .addOption(repoOption())
    .option('--json', 'print JSON on stdout')
    .action(async (flags: { repo?: string; json?: boolean }) => {
      const { runTokenList } = await import('./commands/host.js')
      await runTokenList(flags)
    })
  token
    .command('revoke')
    .description('Revoke a token by id (takes effect at once, also in a running host)')
    .argument('<id>', 'the id that `token list` shows')
    .addOption(repoOption())
    .action(async (id: string, flags: { repo?: string }) => {
      const { runTokenRevoke } = await import('./commands/host.js')
      await runTokenRevoke(id, flags)
    })
  host
    .command('gc')
    .description('Remove blocks that no pin needs (stop the host first)')
    .addOption(repoOption())
    .option('--json', 'print the result as JSON on stdout')
    .action(async (flags: { repo?: string; json?: boolean }) => {
      const { runGc } = await import('./commands/host.js')
      await runGc(flags)
    })
  host
    .command('import')
    .description(
      'Load CAR files into the repo: every block verified and servable, whole DAGs pinned (stop the host first)',
    )
    .argument('<car...>', 'CAR files, e.g. dist-p2p.car (publish --car)')
    .addOption(repoOption())
    .option('--json', 'print one JSON object per CAR on stdout')
    .action(async (cars: string[], flags: { repo?: string; json?: boolean }) => {
      const { runImport } = await import('./commands/host.js')
      await runImport(cars, flags)
    })
  host
    .command('status')
    .description('Peer ID, addresses, pins, storage and connected session members')
    .addOption(repoOption())
    .option('--json', 'print the status as JSON on stdout')
    .action(async (flags: { repo?: string; json?: boolean }) => {
      const { runStatus } = await import('./commands/host.js')
      await runStatus(flags)
    })
  host
    .command('kubo-session')
    .description("Run session discovery on a Kubo node through its RPC API, so it meets the CDN's hosts")
    .requiredOption('--api <url>', "the Kubo node's RPC API, e.g. http://127.0.0.1:5001")
    .option('--token-env <VAR>', 'environment variable holding one of its API.Authorizations secrets')
    .option('--session <name>', "CDN session name (default: the paper's unnamed session)")
    .option('--session-period <ms>', 'session length in milliseconds (default: 60000)')
    .option(
      '--follow <name...>',
      'IPNS names the Kubo node follows: it pins each new version and holds the record',
    )
    .option('--follow-from <url...>', 'hosts (HTTP URLs) asked for the followed sites and their providers')
    .option('--follow-interval <seconds>', 'how often a followed name is checked (default: 30)')
    .option(
      '--follow-grace <seconds>',
      "how long a followed site's previous version stays pinned (default: 600)",
    )
    .option('--json', 'print the start and each member joining or leaving as JSON lines on stdout')
    .action(async (flags: import('./commands/kubo-session.js').KuboSessionFlags) => {
      const { runKuboSession } = await import('./commands/kubo-session.js')
      await runKuboSession(flags)
    })
}

/** Runs the CLI with `argv` (as `process.argv`). Rejects on errors; see {@link handleCliError}. */
export async function runCli(argv: string[]): Promise<void> {
  await createProgram().parseAsync(argv)
}

/** `p2pcdn cache`: what the cache folder holds, and pruning it. */
function addCacheCommands(program: Command): void {
  const dirOption = () =>
    new Option('--cache-dir <dir>', 'the cache folder (default: from the config, else ~/.cache/p2pcdn)')
  const cache = program
    .command('cache')
    .description("Show the cache (each site's index of imported files) and prune it")
    .addOption(dirOption())
    .option('--json', 'print JSON on stdout')
    .option('-c, --config <file>', 'config file (for its cacheDir)')
    .action(async (flags) => {
      const { runCacheShow } = await import('./commands/cache.js')
      await runCacheShow(flags)
    })
  cache
    .command('prune')
    .description('Remove the least recently published sites until the cache fits, and any old block store')
    .option('--max-size <size>', 'size to prune to, e.g. 16MB; 0 empties it (default: cacheMaxSize, 64MiB)')
    .addOption(dirOption())
    .option('--json', 'print JSON on stdout')
    .option('-c, --config <file>', 'config file (for its cacheDir and cacheMaxSize)')
    .action(async (_flags, cmd: Command) => {
      const { runCachePrune } = await import('./commands/cache.js')
      // `--cache-dir`, `--json` and `--config` may sit before `prune`, on `cache` itself.
      await runCachePrune(cmd.optsWithGlobals())
    })
}

/** `p2pcdn hosts …` (the registry) and `p2pcdn push`. */
function addHostsCommands(program: Command): void {
  const configOption = () =>
    new Option(
      '-c, --config <file>',
      'config file (default: p2pcdn.config.{ts,mjs,js,json}; `hosts add` creates p2pcdn.config.json)',
    )
  const hosts = program
    .command('hosts')
    .description('Register the host nodes a site is pushed to (kept in the config file)')
  hosts
    .command('add')
    .description('Register a host')
    .argument('<name>', 'a short name, e.g. campus-1')
    .argument('<url>', "its API's base URL, e.g. https://cdn.example.com (Kubo: http://127.0.0.1:5001)")
    .addOption(
      new Option('--type <type>', 'which API it speaks')
        .choices(['pinning-service', 'kubo', 'cluster', 'p2pcdn'])
        .makeOptionMandatory(),
    )
    .option(
      '--token-env <VAR>',
      'environment variable that holds its token (the token itself is never stored)',
    )
    .option('--replication-min <n>', 'IPFS Cluster: replication-min of the pins')
    .option('--replication-max <n>', 'IPFS Cluster: replication-max of the pins')
    .option(
      '--gateway <url>',
      'the IPFS gateway serving what it pins (p2pcdn hosts: their URL); publish links there without --gateway',
    )
    .option('--print', 'print the entry instead of writing the config file')
    .addOption(configOption())
    .action(async (name: string, url: string, flags) => {
      const { runHostsAdd } = await import('./commands/hosts.js')
      await runHostsAdd(name, url, flags)
    })
  hosts
    .command('list')
    .description('List the registered hosts')
    .option('--json', 'print JSON on stdout')
    .addOption(configOption())
    .action(async (flags) => {
      const { runHostsList } = await import('./commands/hosts.js')
      await runHostsList(flags)
    })
  hosts
    .command('remove')
    .description('Unregister a host')
    .argument('<name>', 'its name')
    .addOption(configOption())
    .action(async (name: string, flags) => {
      const { runHostsRemove } = await import('./commands/hosts.js')
      await runHostsRemove(name, flags)
    })
  hosts
    .command('check')
    .description('Check each host: reachable, authorised, version, latency')
    .option('--json', 'print JSON on stdout')
    .addOption(configOption())
    .action(async (flags) => {
      const { runHostsCheck } = await import('./commands/hosts.js')
      await runHostsCheck(flags)
    })
  program
    .command('push')
    .description('Push an already published output folder to the registered hosts')
    .argument('[out]', 'the folder `p2pcdn publish` wrote (default: from the config, else dist-p2p)')
    .option('--replication <n>', 'hosts that must pin the site (default: every registered host)')
    .option('--wait', 'wait until hosts report the site pinned (the default)')
    .option('--no-wait', 'accepted by the hosts is enough')
    .option(
      '--site-name <name>',
      "pin name; a host's earlier pin of that name is replaced, whichever site made it (default: the name publish gave)",
    )
    .option('--push-timeout <seconds>', 'give up on a host after this long (default: 600)')
    .option('--push-listen <multiaddr...>', 'listen addresses of the node serving blocks to hosts')
    .option('--json', 'print the result as JSON on stdout')
    .addOption(configOption())
    .action(async (out: string | undefined, flags) => {
      const { runPush } = await import('./commands/hosts.js')
      await runPush(out, flags)
    })
}
