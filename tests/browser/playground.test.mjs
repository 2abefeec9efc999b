// The playground page in Debian's headless Chromium (playwright-core, no
// browser download): it loads without console errors, a run starts, the test
// loss on XOR with ReLU falls below a threshold within N steps, a unit killed
// by construction is drawn dead, and the URL round-trips the state. Screenshots
// (1280x800 and phone-sized) go to $OUT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ACTLAB = process.env.ACTLAB;
const OUT = process.env.OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'actlab-browser-'));
const XOR_THRESHOLD = 0.05, XOR_MAX_STEPS = 1500;
let server, base, context, page, profile;
const problems = [];

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(ACTLAB, ['serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    server.on('error', reject);
    server.stdout.on('data', d => {
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(String(d));
      if (m) resolve(`http://127.0.0.1:${m[1]}/`);
    });
    setTimeout(() => reject(new Error('actlab serve printed no address')), 10000);
  });
}

async function open(hash, viewport = { width: 1280, height: 800 }) {
  await page.setViewportSize(viewport);
  await page.goto('about:blank');
  await page.goto(base + (hash || ''));
  await page.waitForFunction(() => window.playground && window.playground.ready && window.playground.runs[0].init,
    null, { timeout: 15000 });
}

const shot = name => page.screenshot({ path: path.join(OUT, name), fullPage: true });

before(async () => {
  assert.ok(ACTLAB, 'ACTLAB names the actlab binary');
  fs.mkdirSync(OUT, { recursive: true });
  base = await startServer();
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'actlab-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] || await context.newPage();
  page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', e => problems.push(`page error: ${e.message}`));
});

after(async () => {
  if (context) await context.close();
  if (server) server.kill('SIGTERM');
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  console.log(`screenshots in ${OUT}`);
});

test('the page loads with no console errors and a run starts', async () => {
  await open('');
  assert.equal(await page.locator('.run .node.unit').count(), 6, 'two hidden layers of 4 and 2 units');
  await page.click('#play');
  await page.waitForFunction(() => window.playground.runs[0].frame && window.playground.runs[0].frame.step > 20,
    null, { timeout: 15000 });
  const t0 = await page.evaluate(() => window.playground.frames);
  await page.waitForTimeout(2000);
  const rate = (await page.evaluate(() => window.playground.frames) - t0) / 2;
  console.log(`frames received by the page: ${rate.toFixed(1)} per second`);
  assert.ok(rate >= 10 && rate <= 30, `10-30 updates a second, got ${rate}`);
  assert.match(await page.textContent('#stepcount'), /^[1-9]\d*$/);
  await page.click('#play');
  await shot('load-1280x800.png');
  assert.deepEqual(problems, [], 'no console errors or warnings');
});

test(`XOR with ReLU: test loss below ${XOR_THRESHOLD} within ${XOR_MAX_STEPS} steps`, async () => {
  await open('#dataset=xor&act=ReLU()&layers=8,8&lr=0.1&seed=3&speed=20');
  await page.click('#play');
  const reached = await page.waitForFunction(({ threshold, max }) => {
    const f = window.playground.runs[0].frame;
    if (!f) return false;
    if (f.test_loss < threshold) return { step: f.step, loss: f.test_loss };
    return f.step > max ? { step: f.step, loss: f.test_loss, failed: true } : false;
  }, { threshold: XOR_THRESHOLD, max: XOR_MAX_STEPS }, { timeout: 60000 }).then(h => h.jsonValue());
  await page.click('#play');
  console.log(`XOR/ReLU test loss ${reached.loss.toFixed(4)} at step ${reached.step}`);
  assert.ok(!reached.failed && reached.step <= XOR_MAX_STEPS, JSON.stringify(reached));
  const shown = Number(await page.textContent('.run .loss-test'));
  assert.ok(shown < 0.2, `the page shows the test loss (${shown})`);
  await shot('xor-relu-1280x800.png');
});

test('a unit killed by construction is drawn dead', async () => {
  await open('#dataset=xor&act=ReLU()&layers=8,8&lr=0.1&seed=3');
  const unit = page.locator('.run .node.unit[data-layer="1"][data-unit="0"]');
  await unit.click();
  await page.click('#editor .editor-kill');   // bias -50: its ReLU input stays below 0 on [-6, 6]^2
  await page.waitForFunction(() => document.querySelector('.run .node.unit[data-layer="1"][data-unit="0"]').classList.contains('dead'),
    null, { timeout: 10000 });
  assert.match(await page.textContent('.run .layer-info .dead-label'), /dead [1-8]\/8/);
  await page.click('#step');
  await page.click('#step');
  await page.waitForTimeout(500);
  assert.ok(await unit.evaluate(e => e.classList.contains('dead')), 'training does not revive it (ReLU passes no gradient)');
  await shot('dead-unit-1280x800.png');
  assert.deepEqual(problems, []);
});

test('the URL round-trips the state', async () => {
  const want = {
    mode: '2d', dataset: 'spiral', noise: '20', train_ratio: '70', samples: '600', batch: '20', seed: '1234',
    features: 'x1,x2,sin_x1', layers: '3,5', act: 'LeakyReLU(negative_slope=0.2, kink=0.5)', opt: 'adam',
    lr: '0.003', momentum: '0.9', reg: 'l2', reg_rate: '0.001', init: 'xavier-uniform', batchnorm: 'true',
    speed: '10', compare: 'ELU()', show_test: 'true', discretize: 'true',
  };
  const hash = '#' + new URLSearchParams(want).toString();
  for (const load of ['first', 'reload']) {
    if (load === 'first') await open(hash); else {
      await page.reload();
      await page.waitForFunction(() => window.playground && window.playground.ready && window.playground.runs[0].init);
    }
    const got = Object.fromEntries(new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)));
    assert.deepEqual(got, want, `${load} load: the URL keeps every field`);
    const server = await page.evaluate(() => window.playground.runs[0].init.config);
    assert.deepEqual(server.layers, [3, 5]);
    assert.equal(server.act, want.act);
    assert.deepEqual(server.features, ['x1', 'x2', 'sin_x1']);
    assert.equal(server.dataset, 'spiral');
    assert.equal(server.seed, 1234);
    assert.equal(server.batchnorm, true);
    assert.equal(await page.inputValue('#noise'), '20');
    assert.equal(await page.inputValue('#act'), 'LeakyReLU');
    assert.equal(await page.inputValue('#compare'), 'ELU');
    assert.equal(await page.locator('.run').count(), 2, 'two runs side by side');
    assert.equal(await page.evaluate(() => window.playground.runs[1].init.config.act), 'ELU()');
  }
  await page.click('#play');
  await page.waitForTimeout(2500);
  await page.click('#play');
  await shot('compare-1280x800.png');
});

test('usable on a phone-sized window', async () => {
  await open('#dataset=circle&act=ReLU()&layers=6,4&lr=0.03', { width: 390, height: 844 });
  await page.click('#play');
  await page.waitForTimeout(2000);
  await page.click('#play');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page fits the width (overflow ${overflow}px); the network scrolls in its box`);
  for (const id of ['#play', '#step', '#reset', '#act', '#lr']) assert.ok(await page.isVisible(id), `${id} visible`);
  await shot('phone-390x844.png');
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.deepEqual(problems, [], 'no console errors or warnings');
});

test('Fashion-MNIST mode draws live per-layer probes', { skip: !fs.existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz') }, async () => {
  await open('#mode=fashion&layers=64,32&batch=64&lr=0.1&act=ReLU()&speed=10');
  await page.click('#play');
  await page.waitForFunction(() => window.playground.runs[0].frame && window.playground.runs[0].frame.step > 300,
    null, { timeout: 60000 });
  await page.click('#play');
  assert.equal(await page.locator('.run .unit-grid .cell').count(), 96);
  await shot('fashion-1280x800.png');
  assert.deepEqual(problems, []);
});
