// One run on the page: created through the API, fed by its event stream, and
// drawn as a network (units as heatmaps, links by weight, dead units, the
// per-layer f' histogram and kink hits) with its losses and output.
import { decode, paintHeat, paintFunction, paintPoints, plotLines, plotHistogram, svgPath, styleLink } from './draw.js';

export const FEATURE_FN = {
  x1: (a, b) => a, x2: (a, b) => b, 'x1^2': (a, b) => a * a, 'x2^2': (a, b) => b * b,
  x1x2: (a, b) => a * b, sin_x1: a => Math.sin(a), sin_x2: (a, b) => Math.sin(b),
};
export const FEATURE_LABEL = {
  x1: 'X\u2081', x2: 'X\u2082', 'x1^2': 'X\u2081\u00b2', 'x2^2': 'X\u2082\u00b2', x1x2: 'X\u2081X\u2082',
  sin_x1: 'sin(X\u2081)', sin_x2: 'sin(X\u2082)',
};
export const FEATURES = Object.keys(FEATURE_FN);
const NODE = 34, GAP = 8, COL = 96, TOP = 64, LEFT = 70, MAX_POINTS = 1500;
const LAYER_COLOURS = ['#0877bd', '#f59322', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];

export async function api(method, url, body) {
  const res = await fetch(url, {
    method, headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined, keepalive: method === 'POST' && url.endsWith('/close'),
  });
  let data = {};
  try { data = await res.json(); } catch (e) { data = {}; }
  return { ok: res.ok, status: res.status, ...data };
}

function el(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

const place = (e, x, y) => { e.style.left = `${x}px`; e.style.top = `${y}px`; };

export class RunView {
  constructor(parent, label, hooks) {
    this.el = document.getElementById('run-template').content.firstElementChild.cloneNode(true);
    parent.appendChild(this.el);
    this.el.querySelector('.run-title').textContent = label;
    this.label = label;
    this.hooks = hooks;
    this.net = this.el.querySelector('.net');
    this.svg = this.el.querySelector('svg.links');
    this.frames = 0;
    this.el.querySelector('.show-test').addEventListener('change', () => this.hooks.toggle('show_test'));
    this.el.querySelector('.discretize').addEventListener('change', () => this.hooks.toggle('discretize'));
  }

  async start(cfg) {
    this.stop();
    const r = await api('POST', '/api/runs', cfg);
    if (!r.ok) throw new Error(r.error || `HTTP ${r.status}`);
    this.id = r.id;
    this.es = new EventSource(`/api/runs/${this.id}/events`);
    this.es.addEventListener('init', e => this.onInit(JSON.parse(e.data)));
    this.es.addEventListener('frame', e => this.onFrame(JSON.parse(e.data)));
    this.es.onerror = () => { if (this.es && this.es.readyState === EventSource.CLOSED) this.hooks.error(`${this.label}: the server closed the stream`); };
  }

  stop() {
    if (this.es) this.es.close();
    if (this.id) api('POST', `/api/runs/${this.id}/close`, {}).catch(() => {});
    this.es = null;
    this.id = null;
  }

  remove() { this.stop(); this.el.remove(); }

  control(action) { return this.id ? api('POST', `/api/runs/${this.id}/control`, { action }) : null; }
  configure(cfg) { return api('POST', `/api/runs/${this.id}/config`, cfg); }
  edit(body) { return api('POST', `/api/runs/${this.id}/edit`, body); }

  onInit(init) {
    this.init = init;
    this.history = [];
    this.probeHistory = [];
    this.frame = null;
    this.fashion = init.config.mode === 'fashion';
    this.el.classList.toggle('is-fashion', this.fashion);
    if (this.fashion) this.buildFashion(init); else this.build2d(init);
    this.hooks.init(this, init);
  }

  header(x, layerIndex, units) {
    const h = el('div', 'layer-head', this.net);
    place(h, x - 14, TOP - 50);
    const plus = el('button', 'mini', h, '+'), minus = el('button', 'mini', h, '\u2212');
    plus.title = 'one more unit';
    minus.title = 'one unit fewer';
    plus.addEventListener('click', () => this.hooks.units(layerIndex, +1));
    minus.addEventListener('click', () => this.hooks.units(layerIndex, -1));
    el('div', 'layer-units', h, `${units} unit${units === 1 ? '' : 's'}`);
  }

  footer(x, y) {
    const f = el('div', 'layer-info', this.net);
    place(f, x - 22, y);
    const dead = el('div', 'dead-label', f, 'dead -');
    const hist = el('canvas', 'hist', f);
    hist.width = 80;
    hist.height = 22;
    hist.title = "f\u2032(x) histogram on the probed batch; red lines at f\u2032 = 0 and 1";
    const kinks = el('div', 'kink-label', f, 'kinks -');
    return { dead, hist, kinks };
  }

  build2d(init) {
    this.net.querySelectorAll('.node, .layer-head, .layer-info, .col-label').forEach(e => e.remove());
    this.svg.replaceChildren();
    const cfg = init.config, layers = init.layers, ncol = layers.length + 2;
    const rows = Math.max(FEATURES.length, ...layers, 1);
    const width = LEFT + (ncol - 1) * COL + NODE + 20, height = TOP + rows * (NODE + GAP) + 70;
    this.net.style.width = `${width}px`;
    this.net.style.height = `${height}px`;
    this.svg.setAttribute('width', width);
    this.svg.setAttribute('height', height);
    const colX = c => LEFT + c * COL;
    const nodeY = i => TOP + i * (NODE + GAP);
    this.nodes = [];
    // inputs: all seven features, the chosen ones active
    const inputs = [];
    el('div', 'col-label', this.net, 'Features').style.left = `${colX(0) - 40}px`;
    FEATURES.forEach((f, i) => {
      const active = cfg.features.includes(f);
      const n = el('div', `node input ${active ? 'active' : 'inactive'}`, this.net);
      n.dataset.feature = f;
      n.title = `${FEATURE_LABEL[f]}: click to ${active ? 'remove' : 'add'}`;
      place(n, colX(0), nodeY(i));
      const c = el('canvas', '', n);
      c.width = c.height = 25;
      paintFunction(c, FEATURE_FN[f], init.domain);
      el('span', 'node-label', n, FEATURE_LABEL[f]);
      n.addEventListener('click', () => this.hooks.feature(f));
      if (active) inputs.push({ x: colX(0), y: nodeY(i) });
    });
    const columns = [inputs];
    layers.forEach((units, l) => {
      const x = colX(l + 1), col = [];
      this.header(x, l, units);
      for (let u = 0; u < units; u++) {
        const n = el('div', 'node unit', this.net);
        n.dataset.layer = String(l + 1);
        n.dataset.unit = String(u);
        place(n, x, nodeY(u));
        const c = el('canvas', '', n);
        c.width = c.height = init.unit_grid;
        n.addEventListener('click', ev => this.hooks.editUnit(this, l + 1, u, ev));
        col.push({ x, y: nodeY(u), el: n, canvas: c });
      }
      col.info = this.footer(x, nodeY(units) + 4);
      columns.push(col);
    });
    const out = el('div', 'node output', this.net);
    place(out, colX(ncol - 1), nodeY(0));
    const oc = el('canvas', '', out);
    oc.width = oc.height = init.grid;
    el('span', 'node-label right', out, 'output');
    columns.push([{ x: colX(ncol - 1), y: nodeY(0), el: out, canvas: oc }]);
    this.columns = columns;
    // links of Linear layer l: [to unit][from unit]
    this.links = [];
    for (let l = 1; l < columns.length; l++) {
      const paths = [];
      for (const to of columns[l]) {
        const row = [];
        for (const from of columns[l - 1]) {
          const x0 = from.x + NODE, y0 = from.y + NODE / 2, x1 = to.x, y1 = to.y + NODE / 2, mx = (x0 + x1) / 2;
          row.push(svgPath(this.svg, `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}`, '#ccc', 1, 'link'));
        }
        paths.push(row);
      }
      this.links.push(paths);
    }
    const heat = this.el.querySelector('.heatbg');
    heat.width = heat.height = init.grid;
    this.paintPoints();
  }

  buildFashion(init) {
    this.net.querySelectorAll('.node, .layer-head, .layer-info, .col-label').forEach(e => e.remove());
    this.svg.replaceChildren();
    const layers = init.layers, cols = layers.length + 2, cell = 9;
    const rowsMax = Math.max(...layers.map(u => Math.ceil(u / 8)), 4);
    const width = LEFT + (cols - 1) * COL + 90, height = TOP + rowsMax * cell + 110;
    this.net.style.width = `${width}px`;
    this.net.style.height = `${height}px`;
    const inp = el('div', 'node box', this.net, '784 pixels');
    place(inp, LEFT - 40, TOP);
    this.columns = [[]];
    layers.forEach((units, l) => {
      const x = LEFT + (l + 1) * COL - 10;
      this.header(x + 10, l, units);
      const grid = el('div', 'unit-grid', this.net);
      place(grid, x, TOP);
      const col = [];
      for (let u = 0; u < units; u++) {
        const c = el('div', 'cell', grid);
        c.dataset.layer = String(l + 1);
        c.dataset.unit = String(u);
        col.push({ el: c });
      }
      col.info = this.footer(x + 10, TOP + Math.ceil(units / 8) * cell + 8);
      this.columns.push(col);
    });
    const out = el('div', 'node box', this.net, '10 classes');
    place(out, LEFT + (cols - 1) * COL - 10, TOP);
  }

  paintPoints() {
    if (!this.init || this.fashion) return;
    const s = this.hooks.state();
    this.el.querySelector('.show-test').checked = !!s.show_test;
    this.el.querySelector('.discretize').checked = !!s.discretize;
    paintPoints(this.el.querySelector('.heatpts'), this.init.train || [], s.show_test ? this.init.test || [] : [], this.init.domain);
  }

  onFrame(f) {
    this.frame = f;
    this.frames++;
    if (!this.init) return;
    const fmt = v => (v === null || v === undefined ? '-' : v.toFixed(3));
    this.el.querySelector('.loss-test').textContent = fmt(f.test_loss);
    this.el.querySelector('.loss-train').textContent = fmt(f.train_loss);
    this.el.querySelector('.acc').textContent = f.test_acc === null ? '' : `Test accuracy ${(100 * f.test_acc).toFixed(1)}%`;
    const h = this.history;
    if (!h.length || h[h.length - 1][0] !== f.step) h.push([f.step, f.train_loss, f.test_loss]);
    if (h.length > MAX_POINTS) this.history = h.filter((_, i) => i % 2 === 0 || i === h.length - 1);
    plotLines(this.el.querySelector('.lossplot'), [
      { values: this.history.map(p => [p[0], p[1]]), colour: '#999' },
      { values: this.history.map(p => [p[0], p[2]]), colour: '#000' },
    ], { ymin: 0 });
    this.drawLayers(f);
    if (!this.fashion && f.out) this.draw2d(f); else if (this.fashion) this.drawFashionCharts(f);
    this.hooks.frame(this, f);
  }

  drawLayers(f) {
    (f.layers || []).forEach((layer, l) => {
      const col = this.columns[l + 1];
      if (!col) return;
      const dead = layer.dead.reduce((a, b) => a + b, 0);
      col.forEach((n, u) => n.el.classList.toggle('dead', layer.dead[u] === 1));
      col.info.dead.textContent = `dead ${dead}/${layer.units}`;
      col.info.dead.classList.toggle('has-dead', dead > 0);
      col.info.dead.title = 'f\u2032 = 0 on every training point' + (layer.probe && layer.probe.epoch_dead !== null
        ? `; the probe, over this epoch's batches: ${(100 * layer.probe.epoch_dead).toFixed(0)}% dead` : '');
      plotHistogram(col.info.hist, layer.probe);
      const smooth = this.init.curve && this.init.curve.kinks.length === 0;
      col.info.kinks.textContent = smooth ? 'smooth' : `kink hits ${layer.kink_hits_total}`;
      col.info.kinks.title = 'pre-activations exactly on a kink, since the run began (from the probes)';
    });
  }

  draw2d(f) {
    const s = this.hooks.state(), g = this.init.unit_grid, units = decode(f.units), out = decode(f.out);
    let at = 0;
    this.init.layers.forEach((n, l) => {
      for (let u = 0; u < n; u++, at += g * g) {
        const node = this.columns[l + 1][u];
        paintHeat(node.canvas, units, at, g, false, f.layers[l].dead[u] === 1);
      }
    });
    const outNode = this.columns[this.columns.length - 1][0];
    paintHeat(outNode.canvas, out, 0, this.init.grid, s.discretize, false);
    paintHeat(this.el.querySelector('.heatbg'), out, 0, this.init.grid, s.discretize, false);
    // links: weights [out, in]; for two logits the drawn weight is their difference
    const two = this.init.outputs === 2;
    this.links.forEach((paths, l) => {
      const w = f.weights[l], inputs = paths[0].length;
      if (!w) return;
      const last = l === this.links.length - 1;
      paths.forEach((row, o) => row.forEach((p, i) =>
        styleLink(p, last && two ? w[inputs + i] - w[i] : w[o * inputs + i])));
    });
  }

  drawFashionCharts(f) {
    const ph = this.probeHistory;
    ph.push([f.step, f.layers.map(l => l.dead_fraction), f.layers.map(l => (l.probe ? l.probe.kink_hits : 0))]);
    if (ph.length > MAX_POINTS) this.probeHistory = ph.filter((_, i) => i % 2 === 0);
    const series = k => f.layers.map((_, l) => ({
      values: this.probeHistory.map(p => [p[0], p[k][l]]), colour: LAYER_COLOURS[l % LAYER_COLOURS.length] }));
    plotLines(this.el.querySelector('.deadplot'), series(1), { ymin: 0, ymax: 1 });
    plotLines(this.el.querySelector('.kinkplot'), series(2), { ymin: 0 });
  }
}
