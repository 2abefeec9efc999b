// The playground page: its state (all of it in the URL, so a link reproduces
// a run), the controls, the runs (one, or two side by side with the same
// seed), the activation plot and the exports. The server checks everything.
import { RunView, FEATURES } from './run.js';
import { plotActivation } from './draw.js';

const LRS = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const CLASSIFY = ['circle', 'xor', 'gauss', 'spiral'], REGRESS = ['plane', 'multigauss'];
const DEFAULTS = {
  mode: '2d', dataset: 'circle', noise: 0, train_ratio: 50, samples: 500, batch: 10, seed: 1,
  features: ['x1', 'x2'], layers: [4, 2], act: 'Tanh()', opt: 'sgd', lr: 0.03, momentum: 0.9,
  reg: 'none', reg_rate: 0, init: 'pytorch', batchnorm: false, speed: 5, compare: '',
  show_test: false, discretize: false,
};
const PAGE_ONLY = ['compare', 'show_test', 'discretize'];
const $ = id => document.getElementById(id);

let state = { ...DEFAULTS };
let table = [];              // the activation table from the server
let runs = [];               // RunView A (and B when comparing)
let playing = false;

// ---- the URL: every field, in a fixed order ----
function toHash(s) {
  return '#' + Object.keys(DEFAULTS).map(k => {
    const v = Array.isArray(s[k]) ? s[k].join(',') : String(s[k]);
    return `${k}=${encodeURIComponent(v)}`;
  }).join('&');
}

function fromHash(hash) {
  const s = { ...DEFAULTS };
  for (const part of hash.replace(/^#/, '').split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq), v = decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    if (!(k in DEFAULTS)) continue;
    const d = DEFAULTS[k];
    if (Array.isArray(d)) s[k] = v === '' ? [] : v.split(',').map(x => (typeof d[0] === 'number' ? Number(x) : x));
    else if (typeof d === 'number') s[k] = Number(v);
    else if (typeof d === 'boolean') s[k] = v === 'true';
    else s[k] = v;
  }
  return s;
}

function config(s, act) {
  const c = {};
  for (const k of Object.keys(DEFAULTS)) if (!PAGE_ONLY.includes(k)) c[k] = s[k];
  if (act) c.act = act;
  return c;
}

function showError(msg) {
  const e = $('error');
  e.hidden = !msg;
  e.textContent = msg || '';
}

// ---- activation parameters: built from the server's table ----
function parseSpec(text) {
  const m = /^\s*([A-Za-z0-9]+)\s*\((.*)\)\s*$/.exec(text || '');
  if (!m) return { name: text, args: {} };
  const args = {};
  for (const part of m[2].split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) args[part.slice(0, eq).trim()] = part.slice(eq + 1).trim().replace(/^'(.*)'$/, '$1');
  }
  return { name: m[1], args };
}

function buildSpec(name, args) {
  const info = table.find(a => a.name === name);
  const parts = [];
  for (const [k, v] of Object.entries(args)) {
    if (v === '' || v === undefined) continue;
    const p = info && info.params.find(q => q.name === k);
    parts.push(p && p.type === 'choice' ? `${k}='${v}'` : `${k}=${v}`);
  }
  return `${name}(${parts.join(', ')})`;
}

function paramInputs(holder, select, text, onChange) {
  holder.replaceChildren();
  const { name, args } = parseSpec(text);
  select.value = name;
  const info = table.find(a => a.name === name);
  if (!info) return;
  const emit = () => {
    const next = {};
    holder.querySelectorAll('[data-param]').forEach(e => {
      if (e.dataset.param === 'kink' && !holder.querySelector('.kink-on').checked) return;
      if (e.value !== '') next[e.dataset.param] = e.value;
    });
    onChange(buildSpec(name, next));
  };
  for (const p of info.params) {
    if (p.name === 'inplace') continue;
    const lab = document.createElement('label');
    lab.className = 'param';
    lab.append(`${p.name} `);
    let input;
    if (p.type === 'choice') {
      input = document.createElement('select');
      p.choices.forEach(c => input.add(new Option(c, c)));
      input.value = args[p.name] ?? p.choices[p.default];
    } else {
      input = document.createElement('input');
      input.type = 'number';
      input.step = p.type === 'int' ? '1' : 'any';
      input.placeholder = p.default_text;
      input.value = args[p.name] ?? '';
      if (p.min !== null) input.min = p.min;
      if (p.max !== null) input.max = p.max;
    }
    input.dataset.param = p.name;
    input.addEventListener('change', emit);
    lab.append(input);
    holder.append(lab);
  }
  if (info.has_kink) {
    const lab = document.createElement('label');
    lab.className = 'param';
    const on = document.createElement('input');
    on.type = 'checkbox';
    on.className = 'kink-on';
    on.checked = 'kink' in args;
    on.title = "choose f' exactly at the kink";
    const k = document.createElement('input');
    k.type = 'number';
    k.step = 'any';
    k.value = args.kink ?? '0.5';
    k.dataset.param = 'kink';
    on.addEventListener('change', emit);
    k.addEventListener('change', () => { on.checked = true; emit(); });
    lab.append(on, 'kink=', k);
    holder.append(lab);
  }
}

// ---- applying the state to the controls ----
function fillSelect(id, values, fmt) {
  const s = $(id);
  s.replaceChildren();
  values.forEach(v => s.add(new Option(fmt ? fmt(v) : String(v), String(v))));
}

function syncControls() {
  const s = state;
  document.body.classList.toggle('mode-fashion', s.mode === 'fashion');
  $('mode').value = s.mode;
  $('lr').value = String(s.lr);
  $('opt').value = s.opt;
  $('init').value = s.init;
  $('reg').value = s.reg;
  $('reg_rate').value = String(s.reg_rate);
  $('problem').value = REGRESS.includes(s.dataset) ? 'regression' : 'classification';
  $('batchnorm').checked = s.batchnorm;
  $('speed').value = String(s.speed);
  for (const k of ['train_ratio', 'noise', 'batch', 'samples']) {
    $(k).value = String(s[k]);
    $(`${k}_v`).textContent = String(s[k]);
  }
  $('seed').value = String(s.seed);
  if ($('layers-label')) updateLayersLabel();
  paramInputs($('act-params'), $('act'), s.act, t => change({ act: t }));
  if (s.compare) paramInputs($('compare-params'), $('compare'), s.compare, t => change({ compare: t }));
  else { $('compare').value = ''; $('compare-params').replaceChildren(); }
  document.querySelectorAll('#datasets canvas').forEach(c => {
    c.classList.toggle('selected', c.dataset.dataset === s.dataset);
    c.hidden = !($('problem').value === 'regression' ? REGRESS : CLASSIFY).includes(c.dataset.dataset);
  });
}

function updateLayersLabel() {
  $('layers-label').textContent = `${state.layers.length} hidden layer${state.layers.length === 1 ? '' : 's'}`;
}

function writeHash() {
  const h = toHash(state);
  if (location.hash !== h) history.replaceState(null, '', h);
}

// ---- runs ----
const hooks = {
  state: () => state,
  init: (view, init) => { if (view === runs[0]) { setPlaying(false); drawSide(); } else drawSide(); },
  frame: (view, f) => {
    if (view !== runs[0]) return;
    $('epoch').textContent = String(f.epoch).padStart(6, '0');
    $('stepcount').textContent = String(f.step);
    if (f.error) { showError(`${view.label}: ${f.error}`); setPlaying(false); }
    if (view.frames % 40 === 1 || !f.playing) drawCommand();
    window.playground.frames = view.frames;
  },
  toggle: key => { state[key] = !state[key]; writeHash(); runs.forEach(r => r.paintPoints()); },
  feature: f => {
    const has = state.features.includes(f);
    if (has && state.features.length === 1) return;
    change({ features: has ? state.features.filter(x => x !== f) : FEATURES.filter(x => x === f || state.features.includes(x)) });
  },
  units: (layer, delta) => {
    const layers = state.layers.slice(), max = state.mode === 'fashion' ? 128 : 8;
    layers[layer] = Math.max(1, Math.min(max, layers[layer] + delta * (state.mode === 'fashion' ? 8 : 1)));
    change({ layers });
  },
  editUnit: (view, layer, unit, ev) => openEditor(view, layer, unit, ev),
  error: showError,
};

async function startRuns() {
  showError('');
  const want = state.compare ? 2 : 1;
  while (runs.length > want) runs.pop().remove();
  while (runs.length < want) runs.push(new RunView($('runs'), runs.length ? 'B' : 'A', hooks));
  runs[0].el.querySelector('.run-title').textContent = state.compare ? `A: ${state.act}` : '';
  if (runs[1]) runs[1].el.querySelector('.run-title').textContent = `B: ${state.compare}`;
  try {
    await Promise.all(runs.map((r, i) => r.start(config(state, i ? state.compare : null))));
  } catch (e) {
    showError(e.message);
  }
  drawExports();
}

async function change(delta) {
  const before = state;
  state = { ...state, ...delta };
  writeHash();
  syncControls();
  if (('compare' in delta) && (!!delta.compare !== !!before.compare)) return startRuns();
  setPlaying(false);
  const results = await Promise.all(runs.map((r, i) => r.configure(config(state, i ? state.compare : null))));
  const bad = results.find(r => !r.ok);
  showError(bad ? bad.error : '');
  if (!bad && results.some(r => !r.reset)) runs.forEach(r => r.control(playing ? 'play' : 'pause'));
  drawExports();
}

function setPlaying(on) {
  playing = on;
  $('play').classList.toggle('playing', on);
  $('play').textContent = on ? '\u275A\u275A' : '\u25B6';
}

// ---- the side panel: activation plot, exports ----
function drawSide() {
  const a = runs[0] && runs[0].init && runs[0].init.curve;
  const b = runs[1] && runs[1].init && runs[1].init.curve;
  plotActivation($('actplot'), a, b);
  if (a) $('act-text').textContent = `${a.act}: f = ${a.formula}; f\u2032 = ${a.derivative}` +
    (a.kink_text ? `; at the kink: ${a.kink_text}` : '') + (b ? ` \u2014 dotted: ${b.act}` : '');
  drawExports();
}

async function drawExports() {
  const box = $('exports');
  box.replaceChildren();
  runs.forEach(r => {
    if (!r.id) return;
    const line = document.createElement('div');
    line.append(runs.length > 1 ? `${r.label}: ` : '');
    const files = ['weights.safetensors', 'log.jsonl', 'command.txt'];
    if (state.mode !== 'fashion') files.push('train.csv', 'test.csv');
    files.forEach(f => {
      const a = document.createElement('a');
      a.href = `/api/runs/${r.id}/export/${f}`;
      a.textContent = f;
      a.download = f;
      line.append(a, ' ');
    });
    box.append(line);
  });
  drawCommand();
}

let commandPending = false;
async function drawCommand() {
  if (commandPending || !runs[0] || !runs[0].id) return;
  commandPending = true;
  try {
    const res = await fetch(`/api/runs/${runs[0].id}/export/command.txt`);
    if (res.ok) $('command').textContent = await res.text();
  } finally {
    commandPending = false;
  }
}

// ---- editing a unit (TF Playground lets one click a node or link) ----
let editing = null;
function openEditor(view, layer, unit, ev) {
  const ed = $('editor');
  editing = { view, layer, unit };
  ed.querySelector('.editor-title').textContent = `${view.label} layer ${layer}, unit ${unit}`;
  ed.hidden = false;
  ed.style.left = `${Math.min(ev.pageX + 8, document.documentElement.scrollWidth - 260)}px`;
  ed.style.top = `${ev.pageY + 8}px`;
}

async function submitEdit(bias) {
  if (!editing) return;
  const r = await editing.view.edit({ layer: editing.layer, unit: editing.unit, bias });
  showError(r.ok ? '' : r.error);
  $('editor').hidden = true;
}

// ---- dataset thumbnails (icons; the data itself comes from the server) ----
function thumbnails() {
  const box = $('datasets');
  for (const name of [...CLASSIFY, ...REGRESS]) {
    const c = document.createElement('canvas');
    c.width = c.height = 48;
    c.dataset.dataset = name;
    c.title = name;
    const ctx = c.getContext('2d');
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const pt = (x, y, v) => {
      ctx.fillStyle = v > 0 ? '#0877bd' : '#f59322';
      ctx.fillRect(24 + x * 4 - 1, 24 - y * 4 - 1, 2.5, 2.5);
    };
    for (let i = 0; i < 120; i++) {
      const x = rnd() * 12 - 6, y = rnd() * 12 - 6, r = Math.hypot(x, y), t = i / 60 * 5;
      if (name === 'circle') pt(x, y, r < 2.5 ? 1 : r > 3.5 && r < 5 ? -1 : 0);
      else if (name === 'xor') pt(x, y, x * y);
      else if (name === 'gauss') pt(i % 2 ? 2 + x / 4 : -2 + x / 4, i % 2 ? 2 + y / 4 : -2 + y / 4, i % 2 ? 1 : -1);
      else if (name === 'spiral') pt(t * Math.sin(1.75 * 2 * Math.PI * t / 5 + (i % 2) * Math.PI), t * Math.cos(1.75 * 2 * Math.PI * t / 5 + (i % 2) * Math.PI), i % 2 ? -1 : 1);
      else if (name === 'plane') pt(x, y, x + y);
      else pt(x, y, Math.sin(x) * Math.cos(y * 1.2));
    }
    c.addEventListener('click', () => change({ dataset: name }));
    box.append(c);
  }
}

function wire() {
  fillSelect('lr', LRS);
  fillSelect('reg_rate', REG_RATES);
  table.forEach(a => { $('act').add(new Option(a.name, a.name)); $('compare').add(new Option(a.name, a.name)); });
  const num = (id, key, parse = Number) => $(id).addEventListener('change', () => change({ [key]: parse($(id).value) }));
  num('lr', 'lr');
  num('reg_rate', 'reg_rate');
  num('speed', 'speed');
  num('seed', 'seed');
  ['train_ratio', 'noise', 'batch', 'samples'].forEach(k => {
    $(k).addEventListener('input', () => { $(`${k}_v`).textContent = $(k).value; });
    num(k, k);
  });
  for (const id of ['opt', 'init', 'reg']) $(id).addEventListener('change', () => change({ [id]: $(id).value }));
  $('mode').addEventListener('change', () => {
    const fashion = $('mode').value === 'fashion';
    change({ mode: $('mode').value, layers: fashion ? [64, 32] : [4, 2], batch: fashion ? 64 : 10, lr: fashion ? 0.1 : 0.03 });
  });
  $('batchnorm').addEventListener('change', () => change({ batchnorm: $('batchnorm').checked }));
  $('problem').addEventListener('change', () => {
    const reg = $('problem').value === 'regression';
    change({ dataset: reg ? 'plane' : 'circle', samples: reg ? 1200 : 500 });
  });
  $('act').addEventListener('change', () => change({ act: `${$('act').value}()` }));
  $('compare').addEventListener('change', () => change({ compare: $('compare').value ? `${$('compare').value}()` : '' }));
  $('regen').addEventListener('click', () => change({ seed: Math.floor(Math.random() * 2147483647) }));
  $('play').addEventListener('click', () => { setPlaying(!playing); runs.forEach(r => r.control(playing ? 'play' : 'pause')); });
  $('step').addEventListener('click', () => { setPlaying(false); runs.forEach(r => r.control('step')); });
  $('reset').addEventListener('click', () => { setPlaying(false); runs.forEach(r => r.control('reset')); });
  const ed = $('editor');
  ed.querySelector('.editor-set').addEventListener('click', () => submitEdit(Number(ed.querySelector('.editor-bias').value)));
  ed.querySelector('.editor-kill').addEventListener('click', () => submitEdit(-50));
  ed.querySelector('.editor-close').addEventListener('click', () => { ed.hidden = true; });
  window.addEventListener('pagehide', () => runs.forEach(r => r.stop()));
  // layers +/- for the whole net
  const bar = document.createElement('div');
  bar.className = 'layers-bar';
  const plus = document.createElement('button'), minus = document.createElement('button'), label = document.createElement('span');
  plus.textContent = '+';
  minus.textContent = '\u2212';
  plus.id = 'add-layer';
  minus.id = 'remove-layer';
  label.id = 'layers-label';
  plus.addEventListener('click', () => {
    const max = state.mode === 'fashion' ? 4 : 6;
    if (state.layers.length < max) change({ layers: [...state.layers, state.mode === 'fashion' ? 32 : 2] });
  });
  minus.addEventListener('click', () => { if (state.layers.length) change({ layers: state.layers.slice(0, -1) }); });
  bar.append(plus, minus, label);
  $('runs').prepend(bar);
}

async function main() {
  window.playground = { ready: false, frames: 0, get state() { return state; }, get runs() { return runs; }, toHash, fromHash };
  table = await (await fetch('/api/activations')).json();
  state = fromHash(location.hash);
  thumbnails();
  wire();
  syncControls();
  writeHash();
  await startRuns();
  window.playground.ready = true;
}

main();
