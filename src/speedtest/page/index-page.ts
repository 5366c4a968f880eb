/**
 * The interactive speedtest page served at `/`: the origin and P2P variants
 * side by side in frames, and a "Run" button that reloads each in turn and
 * shows the load times, their medians and the paper's ratio. Plain HTML and
 * one small external script (`/speedtest.js`), so a strict CSP is no bother.
 */
import { encodeSitePath } from '../encode.js'

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The page's HTML for `page` (a site path) and the default number of runs. */
export function indexPage(options: { page: string; runs: number }): string {
  const page = escapeHtml(options.page)
  const src = escapeHtml(encodeSitePath(options.page))
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>p2pcdn speedtest: ${page}</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 1rem 2rem; color: #222; }
  .variants { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
  iframe { width: 100%; height: 60vh; border: 1px solid #aaa; background: #fff; }
  table { border-collapse: collapse; margin-top: 1rem; }
  th, td { padding: 0.2rem 0.8rem; text-align: right; border-bottom: 1px solid #ddd; }
  th:first-child, td:first-child { text-align: left; }
  #ratio { font-size: 1.3rem; font-weight: bold; }
  .note { color: #666; font-size: 0.9rem; }
</style>
</head>
<body data-page="${src}">
<h1>p2pcdn speedtest: ${page}</h1>
<p>
  <label>Loads per variant <input id="runs" type="number" min="1" max="100" value="${options.runs}"></label>
  <button id="run" type="button">Run</button>
  <span id="status" role="status"></span>
</p>
<div class="variants">
  <section><h2>Origin <small>(/origin/${page})</small></h2><iframe id="frame-origin" title="origin variant" src="/origin/${src}"></iframe></section>
  <section><h2>P2P <small>(/p2p/${page})</small></h2><iframe id="frame-p2p" title="P2P variant" src="/p2p/${src}"></iframe></section>
</div>
<table id="results">
  <thead><tr><th>variant</th><th>median load (ms)</th><th>min</th><th>max</th><th>loads (ms)</th></tr></thead>
  <tbody>
    <tr id="row-origin"><td>origin</td><td></td><td></td><td></td><td></td></tr>
    <tr id="row-p2p"><td>p2p</td><td></td><td></td><td></td><td></td></tr>
  </tbody>
</table>
<p>Ratio (origin median / P2P median): <span id="ratio">–</span></p>
<p class="note">Loads alternate, origin first. The load time is the frame's Navigation Timing
<code>loadEventEnd</code>. Your browser caches what it fetched, so every load after the first is warm:
for cold loads in a fresh profile each time, run <code>p2pcdn speedtest --headless</code>.</p>
<script src="/speedtest.js"></script>
</body>
</html>
`
}

/** The page's script: runs the loads when "Run" is pressed and fills the table. */
export const SPEEDTEST_SCRIPT = `'use strict'
;(function () {
  var page = document.body.getAttribute('data-page')
  var $ = function (id) { return document.getElementById(id) }
  var times = { origin: [], p2p: [] }

  function stats(list) {
    var sorted = list.slice().sort(function (a, b) { return a - b })
    var mid = Math.floor(sorted.length / 2)
    var median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    return { median: median, min: sorted[0], max: sorted[sorted.length - 1] }
  }

  function show(variant) {
    var cells = $('row-' + variant).cells
    var list = times[variant]
    if (!list.length) return
    var s = stats(list)
    cells[1].textContent = s.median.toFixed(1)
    cells[2].textContent = s.min.toFixed(1)
    cells[3].textContent = s.max.toFixed(1)
    cells[4].textContent = list.map(function (t) { return t.toFixed(0) }).join(', ')
    if (times.origin.length && times.p2p.length)
      $('ratio').textContent = (stats(times.origin).median / stats(times.p2p).median).toFixed(2)
  }

  /** Loads the variant in its frame; resolves with loadEventEnd once the load event is over. */
  function load(variant, run) {
    var frame = $('frame-' + variant)
    return new Promise(function (resolve, reject) {
      var started = Date.now()
      frame.onload = function () {
        ;(function poll() {
          var nav
          try { nav = frame.contentWindow.performance.getEntriesByType('navigation')[0] } catch (e) {}
          if (nav && nav.loadEventEnd > 0) return resolve(nav.loadEventEnd)
          if (Date.now() - started > 120000) return reject(new Error(variant + ': no load event'))
          setTimeout(poll, 20)
        })()
      }
      frame.src = '/' + variant + '/' + page + '?speedtest-run=' + run + '-' + Date.now()
    })
  }

  $('run').addEventListener('click', function () {
    var runs = Math.max(1, Math.min(100, parseInt($('runs').value, 10) || 1))
    var button = $('run')
    button.disabled = true
    times = { origin: [], p2p: [] }
    $('ratio').textContent = '…'
    var chain = Promise.resolve()
    for (var i = 1; i <= runs; i++) {
      ;['origin', 'p2p'].forEach(function (variant) {
        var run = i
        chain = chain.then(function () {
          $('status').textContent = variant + ' ' + run + ' of ' + runs + '…'
          return load(variant, run).then(function (ms) {
            times[variant].push(ms)
            show(variant)
          })
        })
      })
    }
    chain.then(
      function () { $('status').textContent = 'done: ' + runs + ' loads each' },
      function (err) { $('status').textContent = 'failed: ' + err.message }
    ).then(function () {
      button.disabled = false
      document.body.setAttribute('data-done', String(runs))
    })
  })
})()
`
