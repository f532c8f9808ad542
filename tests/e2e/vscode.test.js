// End-to-end: the packaged extension (.vsix) installed into real VS Code (code-server), driven
// headless through chromium by playwright-core. Run through tests/e2e/run.sh, which installs the
// tools and builds the .vsix, or directly with these set:
//   VSIX, NODE24_BIN, CODE_SERVER, CHROMIUM   (see run.sh)
//   E2E_OUT                 screenshots and logs (default: build/e2e)
//   SHAPELENS_E2E_PYTHON    sets shapelens.interpreter (default: unset, so python3 on PATH)
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const cs = require('./codeserver');

const REPO = path.resolve(__dirname, '..', '..');
const OUT = process.env.E2E_OUT || path.join(REPO, 'build', 'e2e');
const MAIN_FILE = 'shape_mistake.py';
const CUSTOM_LAYER_FILE = 's002_1_custom_layer_broadcast.py';
const FILES = [
  path.join(REPO, 'examples', MAIN_FILE),
  path.join(REPO, 'tests', 'fixtures', 'scenarios', CUSTOM_LAYER_FILE),
];
const NOTEBOOK_FILE = 'cells.ipynb';
const NOTEBOOK = {
  cells: [
    ['import tensorflow as tf', '', 'x = tf.random.normal((32, 10))'],
    ['w = tf.random.normal((10, 5))', 'broken = tf.matmul(x, w) + x[:, :3]'],
  ].map((lines) => ({
    cell_type: 'code', execution_count: null, metadata: {}, outputs: [],
    source: lines.map((l, i) => (i < lines.length - 1 ? l + '\n' : l)),
  })),
  metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
  nbformat: 4,
  nbformat_minor: 5,
};
const SLOW_MS = Number(process.env.E2E_SLOW_MS || 120000); // first diagnostics: extension host + server start

const T0 = Date.now();
const stamp = (msg) => console.log(`[${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}`);
const clean = (s) => (s || '').replace(/\u00a0/g, ' ');

const SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true, // else a Chat side bar opens and takes the keyboard focus
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'git.enabled': false,
  'editor.minimap.enabled': false,
  'editor.hover.delay': 300,
  'editor.inlayHints.enabled': 'on',
  'window.zoomLevel': 0,
  ...(process.env.SHAPELENS_E2E_PYTHON ? { 'shapelens.interpreter': process.env.SHAPELENS_E2E_PYTHON } : {}),
  ...(process.env.E2E_TRACE ? { 'shapelens.trace.server': 'verbose' } : {}), // LSP messages in the log
};

/**
 * Run a command from the command palette by its title.  On a loaded machine the palette
 * sometimes opens before the command registry has filled it, or loses the typed text to a
 * focus change; so each try closes the palette and reopens it, up to three times.
 */
async function runCommand(page, title, tries = 3) {
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press('F1'); // opens with the '>' prefix
      await input.waitFor({ state: 'visible', timeout: 20000 });
      await input.fill(`>${title}`);
      await row.waitFor({ timeout: 30000 });
      break;
    } catch (err) {
      if (attempt >= tries) throw err;
      stamp(`palette row "${title}" not shown (try ${attempt}); reopening the palette`);
      await page.keyboard.press('Escape');
      await input.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
    }
  }
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' }).catch(() => {});
}

/** Wait until some rendered editor line (re-queried every time: Monaco replaces them) matches. */
async function waitForLine(page, predicateSource, timeout) {
  const handle = await page.waitForFunction(
    (src) => {
      const test = new Function('text', `return (${src})(text);`);
      for (const line of document.querySelectorAll('.monaco-editor .view-lines .view-line')) {
        const text = line.textContent.replace(/\u00a0/g, ' ');
        if (test(text)) return text;
      }
      return null;
    },
    predicateSource,
    { timeout },
  );
  return handle.jsonValue();
}

async function statusIs(page, state, timeout = SLOW_MS) {
  await page.waitForFunction(
    (label) => !!document.querySelector(`[aria-label="${label}"]`),
    `shapelens server ${state}`,
    { timeout },
  );
}

test('shapelens in real VS Code: diagnostics, hover, inlay hints, model graph', { timeout: 420000 }, async (t) => {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const vsix = process.env.VSIX || path.join(REPO, 'build', 'shapelens.vsix');
  assert.ok(fs.existsSync(vsix), `no .vsix at ${vsix}`);

  // 1. install the .vsix into a fresh code-server
  const ctx = cs.prepare({ vsix, settings: SETTINGS });
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  const installed = path.join(ctx.extensions, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  assert.ok(fs.existsSync(path.join(installed, 'client', 'out', 'extension.js')), `not installed: ${installed}`);
  stamp(`installed ${path.basename(vsix)} into ${ctx.extensions}`);

  const ws = path.join(ctx.root, 'workspace');
  fs.mkdirSync(ws);
  for (const f of FILES) fs.copyFileSync(f, path.join(ws, path.basename(f)));
  fs.writeFileSync(path.join(ws, NOTEBOOK_FILE), JSON.stringify(NOTEBOOK, null, 1));

  let server;
  let browser;
  let passed = false;
  t.after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (server) await cs.stop(server.proc);
    // a failed run's root stays for a look (its logs are copied to E2E_OUT/logs as well)
    if (passed && !process.env.E2E_KEEP) fs.rmSync(ctx.root, { recursive: true, force: true });
    stamp('torn down');
  });
  server = await cs.start(ctx, ws);
  stamp(`code-server at ${server.url}`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    env: { ...process.env, XDG_CONFIG_HOME: path.join(ctx.root, 'xdg', 'config'), XDG_CACHE_HOME: path.join(ctx.root, 'xdg', 'cache') },
  });
  const page = await browser.newPage({ viewport: { width: 1500, height: 920 } });
  page.setDefaultTimeout(60000);
  const shot = async (name) => {
    await page.screenshot({ path: path.join(OUT, name) });
    stamp(`screenshot ${path.join(OUT, name)}`);
  };

  try {
    // 2. open the workspace with shape_mistake.py in an editor
    const host = new URL(server.url).host;
    const payload = [['openFile', `vscode-remote://${host}${ws}/${MAIN_FILE}`]];
    await page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    await page.locator('.monaco-workbench').waitFor();
    stamp('workbench loaded');
    await page.locator('.tabs-container .tab', { hasText: MAIN_FILE }).waitFor();
    await page.locator('.monaco-editor .view-lines .view-line').first().waitFor();
    stamp(`${MAIN_FILE} open`);

    // 3. the server starts (status bar) and publishes diagnostics (squiggles, Problems panel)
    await statusIs(page, 'running');
    stamp('status bar: shapelens server running');
    await page.locator('.monaco-editor .view-overlays .cdr.squiggly-error').first().waitFor({ timeout: SLOW_MS });
    stamp('error squiggle rendered');
    await page.waitForFunction(() => /Errors: [1-9]/.test(document.querySelector('#status\\.problems')?.getAttribute('aria-label') || ''));
    await page.locator('#status\\.problems').click();
    const broadcastRow = page.locator('.markers-panel .monaco-list-row[aria-level="2"]', { hasText: "Incompatible shapes for '+'" }).first();
    await broadcastRow.waitFor();
    const rowText = clean(await broadcastRow.innerText()).replace(/\s+/g, ' ');
    assert.match(rowText, /\(32, 5\) and \(32, 2\) cannot be broadcast together/);
    assert.match(rowText, /shapelens/);
    assert.match(rowText, /\[Ln 20, Col 10\]/);
    stamp(`problems panel: ${rowText}`);
    const rows = await page.locator('.markers-panel .monaco-list-row[aria-level="2"]').allInnerTexts();
    assert.ok(rows.some((r) => /Dense expects axis -1 of its input to have value 10/.test(r)), rows.join('\n'));

    // 4. inlay hints: a tensor assignment and a layer inside Sequential
    const assigned = await waitForLine(page, "(t) => t.startsWith('x: (32, 10) float32') && t.includes('tf.random.normal')", SLOW_MS);
    assert.equal(assigned.replace(/\s+/g, ' '), 'x: (32, 10) float32 = tf.random.normal((32, 10))');
    const layerLine = await waitForLine(page, "(t) => t.includes('layers.Dense(1),') && t.includes('→ (None, 1)')", 30000);
    // the first layer keeps its hint although predict() below feeds the model the wrong width
    await waitForLine(page, "(t) => t.includes('input_shape=(10,)),') && t.includes('→ (None, 32)')", 30000);
    stamp(`inlay hints: "${assigned}" / "${layerLine.trim()}"`);
    await shot('01-diagnostics-inlay-hints.png');

    // 5. hover on a tensor name
    const subsetLine = page.locator('.monaco-editor .view-lines .view-line', { hasText: 'data[:16, :5]' }).first();
    const word = subsetLine.locator('span > span', { hasText: /^subset$/ }).first();
    const hover = page.locator('.monaco-hover:not(.hidden) .rendered-markdown');
    for (let attempt = 0; ; attempt++) {
      await page.mouse.move(1300, 880);
      await word.hover();
      try {
        await hover.filter({ hasText: 'subset' }).first().waitFor({ state: 'visible', timeout: 10000 });
        break;
      } catch (e) {
        if (attempt >= 2) throw e;
      }
    }
    const hoverText = clean(await hover.filter({ hasText: 'subset' }).first().innerText()).trim();
    assert.match(hoverText, /^subset: \(16, 5\) float32/);
    stamp(`hover: ${hoverText.replace(/\s+/g, ' ')}`);
    await shot('02-hover.png');
    await page.mouse.move(1300, 880);
    await page.keyboard.press('Escape');

    // 5b. hover on the model: its layers, output shapes and parameter counts, nothing run
    // (the first characters of the line: `model` is not always a token span of its own)
    const modelLine = page.locator('.monaco-editor .view-lines .view-line', { hasText: 'keras.Sequential' }).first();
    for (let attempt = 0; ; attempt++) {
      await page.mouse.move(1300, 880);
      const box = await modelLine.boundingBox();
      assert.ok(box, 'the model line is on screen');
      await page.mouse.move(box.x + 12, box.y + box.height / 2);
      try {
        await hover.filter({ hasText: 'parameters' }).first().waitFor({ state: 'visible', timeout: 10000 });
        break;
      } catch (e) {
        if (attempt >= 2) throw e;
      }
    }
    const tableText = clean(await hover.filter({ hasText: 'parameters' }).first().innerText()).replace(/\s+/g, ' ');
    assert.match(tableText, /Keras sequential model/);
    assert.match(tableText, /Dense \(None, 32\) float32 352/);
    assert.match(tableText, /385 parameters \(385 trainable, 0 non-trainable\)/);
    stamp(`model hover: ${tableText}`);
    await shot('02b-model-hover.png');
    await page.mouse.move(1300, 880);
    await page.keyboard.press('Escape');

    // 6. model graph: cursor on the Sequential, command -> webview with one SVG box per layer
    await page.locator('.monaco-editor .view-lines .view-line', { hasText: 'keras.Sequential' }).first().click();
    await runCommand(page, 'shapelens: Show Model Graph');
    const webview = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const nodes = webview.locator('svg.model-graph g.node');
    await nodes.nth(2).waitFor({ timeout: 30000 });
    const boxes = await nodes.evaluateAll((gs) => gs.map((g) => ({
      cls: g.getAttribute('class'),
      rect: !!g.querySelector('rect'),
      text: [...g.querySelectorAll('text')].map((x) => x.textContent).join(' | '),
    })));
    assert.deepEqual(boxes.map((b) => b.text), ['Input | (None, 10)', 'Dense | (None, 32)', 'Dense | (None, 1)']);
    assert.ok(boxes.every((b) => b.rect), 'every layer is drawn as a box');
    assert.equal(await webview.locator('svg.model-graph path.edge').count(), 2);
    assert.match(clean(await webview.locator('h2').innerText()), /model\s+sequential · 2 layers · line 8/);
    stamp(`model graph: ${boxes.map((b) => b.text).join(' -> ')}`);
    await shot('03-model-graph.png');
    // a click on a box selects that layer in the editor
    await nodes.nth(2).click();
    await page.waitForFunction(() => /^Ln 10, Col \d+/.test(document.querySelector('#status\\.editor\\.selection')?.textContent || ''));
    stamp('click on the last box: the editor selects line 10');

    // 7. the custom-layer scenario: the mistake inside call() is found through the call site
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
    await page.keyboard.type(CUSTOM_LAYER_FILE);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: CUSTOM_LAYER_FILE }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab', { hasText: CUSTOM_LAYER_FILE }).waitFor();
    const customRow = page.locator('.markers-panel .monaco-list-row', { hasText: '[Ln 14, Col 16]' }).first();
    await customRow.waitFor({ timeout: SLOW_MS });
    const customText = clean(await customRow.innerText()).replace(/\s+/g, ' ');
    assert.match(customText, /\(32, 5\) and \(32, 2\)/);
    await waitForLine(page, "(t) => t.startsWith('features: (32, 10) float32')", 30000);
    stamp(`custom layer: ${customText}`);
    await shot('04-custom-layer.png');

    // 8. a notebook: the cells are analysed as one program (the server syncs the notebook;
    //    VS Code's cell URIs are %-escaped, which the server resolves).
    await t.test('notebook cells get diagnostics and inlay hints', async () => {
      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
      await page.keyboard.type(NOTEBOOK_FILE);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: NOTEBOOK_FILE }).first().waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab', { hasText: NOTEBOOK_FILE }).waitFor();
      const notebook = page.locator('.notebook-editor');
      await notebook.locator('.cell-editor-container .view-line').first().waitFor();
      try {
        await notebook.locator('.cell-editor-container .squiggly-error').first().waitFor({ timeout: 30000 });
        const cellRow = page.locator('.markers-panel .monaco-list-row', { hasText: "Incompatible shapes for '+': (32, 5) and (32, 3)" }).first();
        await cellRow.waitFor({ timeout: 30000 });
        await waitForLine(page, "(t) => t.startsWith('x: (32, 10) float32')", 30000);
        stamp(`notebook: ${clean(await cellRow.innerText()).replace(/\s+/g, ' ')}`);
      } finally {
        await shot('05-notebook.png');
      }
    });

    // 8b. the shape probe from the command palette: the file runs in a kernel (the same
    //     interpreter, with TF and ipykernel), runtime hints replace static ones, the error that
    //     stopped the run is in the Problems panel, and the kernel's state is in the status bar
    await page.locator('.tabs-container .tab', { hasText: MAIN_FILE }).click();
    await runCommand(page, 'shapelens: Probe Shapes: Whole File');
    const observed = await waitForLine(page, "(t) => t.includes('subset') && t.includes('(16, 5) float32 ⚡run')", SLOW_MS);
    stamp(`runtime hint: ${observed.replace(/\s+/g, ' ')}`);
    await page.waitForFunction(
      () => [...document.querySelectorAll('.statusbar-item')].some((e) => /kernel idle/.test(e.textContent || '')),
      null,
      { timeout: SLOW_MS },
    );
    // the Problems panel is still open from step 3 (its status bar item toggles it)
    if (!(await page.locator('.markers-panel').isVisible())) await page.locator('#status\\.problems').click();
    const runtimeRow = page.locator('.markers-panel .monaco-list-row[aria-level="2"]', { hasText: 'at runtime' }).first();
    await runtimeRow.waitFor({ timeout: SLOW_MS });
    const runtimeText = clean(await runtimeRow.innerText()).replace(/\s+/g, ' ');
    assert.match(runtimeText, /expected axis -1 of input shape to have value 10/);
    assert.match(runtimeText, /`subset` is \(16, 5\) float32/);
    stamp(`runtime error: ${runtimeText}`);
    await shot('05b-probe.png');

    // 9. restart the server from the command palette; it comes back and answers again
    await page.locator('.tabs-container .tab', { hasText: MAIN_FILE }).click();
    await runCommand(page, 'shapelens: Restart Language Server');
    await statusIs(page, 'running');
    await page.locator('.monaco-editor .view-overlays .cdr.squiggly-error').first().waitFor({ timeout: SLOW_MS });
    stamp('server restarted and diagnostics are back');

    // 10. an interpreter older than 3.10 is refused with a clear error (a stand-in that answers
    //    the version question like Python 3.8 does), set in the Settings editor: the change
    //    restarts the server
    const oldPython = path.join(ctx.root, 'python3.8');
    fs.writeFileSync(oldPython, '#!/bin/sh\necho 3.8.10\n', { mode: 0o755 });
    await runCommand(page, 'Preferences: Open User Settings');
    await page.locator('.settings-editor').waitFor();
    await page.keyboard.type('shapelens.interpreter');
    // the list filters after a moment; the contributed setting shows with its description
    const item = page.locator('.settings-editor .setting-item-contents', { hasText: 'Python (3.10 or newer) that runs the shapelens language server' }).first();
    await item.waitFor();
    const setting = item.locator('input').first();
    await setting.fill(oldPython);
    await setting.press('Tab');
    const toast = page.locator('.notifications-toasts .notification-list-item-message', { hasText: 'shapelens needs Python' }).first();
    await toast.waitFor({ timeout: 60000 });
    const toastText = clean(await toast.innerText()).trim();
    assert.equal(
      toastText,
      `shapelens needs Python 3.10 or newer to run its language server, but "${oldPython}" (from the shapelens.interpreter setting) is Python 3.8.10.`,
    );
    await statusIs(page, 'failed', 30000);
    await page.locator('.notification-toast.notification-fade-in-done').first().waitFor({ timeout: 5000 }).catch(() => {});
    stamp(`old interpreter refused: ${toastText}`);
    await shot('06-old-python-error.png');
    passed = true;
  } catch (err) {
    await page.screenshot({ path: path.join(OUT, 'failure.png') }).catch(() => {});
    const logDir = path.join(OUT, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    for (const f of cs.logFiles(ctx, server)) {
      const text = fs.readFileSync(f, 'utf8');
      fs.writeFileSync(path.join(logDir, path.basename(f)), text);
      console.log(`--- ${f} (tail) ---\n${text.slice(-3000)}`);
    }
    console.log(`screenshots and logs in ${OUT}`);
    throw err;
  }
});
