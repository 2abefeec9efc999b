// Drawing for the playground: heatmaps, the network (nodes, links, per-layer
// probe strips), line charts and the activation plot. Plain canvas and SVG.
export const ORANGE = [245, 147, 34], GREY = [232, 234, 235], BLUE = [8, 119, 189];

// The colour of v in [-1, 1]: orange for -1, light grey for 0, blue for +1.
export function colour(v) {
  v = Math.max(-1, Math.min(1, v));
  const a = v < 0 ? ORANGE : BLUE, t = Math.abs(v);
  return [0, 1, 2].map(i => Math.round(GREY[i] + (a[i] - GREY[i]) * t));
}
const css = c => `rgb(${c[0]},${c[1]},${c[2]})`;

// base64 of signed bytes (value * 127) -> Int8Array
export function decode(b64) {
  const s = atob(b64), out = new Int8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = (s.charCodeAt(i) << 24) >> 24;
  return out;
}

// Paints an n x n heatmap of bytes[offset ...] into canvas (n x n pixels).
export function paintHeat(canvas, bytes, offset, n, discretize, dead) {
  const ctx = canvas.getContext('2d'), img = ctx.createImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    let v = bytes[offset + i] / 127;
    if (discretize) v = v >= 0 ? 1 : -1;
    const c = dead ? [200, 200, 200] : colour(v);
    img.data.set([c[0], c[1], c[2], 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

// A heatmap of f(x1, x2) computed here (the input features).
export function paintFunction(canvas, f, domain) {
  const n = canvas.width, ctx = canvas.getContext('2d'), img = ctx.createImageData(n, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const x1 = -domain + 2 * domain * (j + 0.5) / n, x2 = domain - 2 * domain * (i + 0.5) / n;
      const c = colour(f(x1, x2) / domain);
      img.data.set([c[0], c[1], c[2], 255], 4 * (i * n + j));
    }
  ctx.putImageData(img, 0, 0);
}

// Data points over the output heatmap: train with a white ring, test with a black one.
export function paintPoints(canvas, train, test, domain) {
  const ctx = canvas.getContext('2d'), w = canvas.width;
  ctx.clearRect(0, 0, w, w);
  const dot = (p, ring) => {
    const x = (p[0] + domain) / (2 * domain) * w, y = (domain - p[1]) / (2 * domain) * w;
    ctx.beginPath();
    ctx.arc(x, y, 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = css(colour(p[2]));
    ctx.fill();
    ctx.strokeStyle = ring;
    ctx.lineWidth = 1;
    ctx.stroke();
  };
  train.forEach(p => dot(p, 'white'));
  test.forEach(p => dot(p, 'black'));
}

// Lines on a canvas: series = [{values: [[x, y], ...], colour, dash}], shared axes.
export function plotLines(canvas, series, opts = {}) {
  const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height, pad = 4;
  ctx.clearRect(0, 0, w, h);
  let xmin = Infinity, xmax = -Infinity, ymin = opts.ymin ?? Infinity, ymax = opts.ymax ?? -Infinity;
  for (const s of series)
    for (const [x, y] of s.values) {
      if (!Number.isFinite(y)) continue;
      xmin = Math.min(xmin, x); xmax = Math.max(xmax, x);
      if (opts.ymin === undefined) ymin = Math.min(ymin, y);
      if (opts.ymax === undefined) ymax = Math.max(ymax, y);
    }
  if (!(xmax > xmin)) xmax = xmin + 1;
  if (!(ymax > ymin)) ymax = ymin + 1;
  const X = x => pad + (x - xmin) / (xmax - xmin) * (w - 2 * pad);
  const Y = y => h - pad - (y - ymin) / (ymax - ymin) * (h - 2 * pad);
  for (const s of series) {
    ctx.beginPath();
    ctx.setLineDash(s.dash || []);
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = s.width || 1.5;
    let started = false;
    for (const [x, y] of s.values) {
      if (!Number.isFinite(y)) continue;
      if (started) ctx.lineTo(X(x), Y(y)); else ctx.moveTo(X(x), Y(y));
      started = true;
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
  return { X, Y };
}

// f and f' with axes, and each kink marked with the derivative returned there.
export function plotActivation(canvas, curve, curveB) {
  const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  if (!curve) return;
  const all = [...curve.f, ...curve.d, ...(curveB ? [...curveB.f, ...curveB.d] : [])].filter(Number.isFinite);
  const ymin = Math.max(-3, Math.min(-1, ...all)), ymax = Math.min(4, Math.max(1.5, ...all));
  const xs = curve.x, xmin = xs[0], xmax = xs[xs.length - 1], pad = 14;
  const X = x => pad + (x - xmin) / (xmax - xmin) * (w - 2 * pad);
  const Y = y => h - pad - (y - ymin) / (ymax - ymin) * (h - 2 * pad);
  ctx.strokeStyle = '#bbb';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(X(xmin), Y(0)); ctx.lineTo(X(xmax), Y(0));
  ctx.moveTo(X(0), Y(ymin)); ctx.lineTo(X(0), Y(ymax));
  ctx.stroke();
  ctx.fillStyle = '#888';
  ctx.font = '10px sans-serif';
  ctx.fillText(String(xmin), 2, Y(0) - 3);
  ctx.fillText(String(xmax), w - 14, Y(0) - 3);
  const line = (c, ys, colourName, dash, width) => {
    ctx.beginPath();
    ctx.setLineDash(dash);
    ctx.strokeStyle = colourName;
    ctx.lineWidth = width;
    // a jump in f' at a kink is drawn as a jump, not as a steep segment
    for (let i = 0; i < c.x.length; i++) {
      const y = Math.max(ymin, Math.min(ymax, ys[i]));
      const jump = i > 0 && Math.abs(ys[i] - ys[i - 1]) > 0.5;
      if (i === 0 || jump || !Number.isFinite(ys[i])) ctx.moveTo(X(c.x[i]), Y(y)); else ctx.lineTo(X(c.x[i]), Y(y));
    }
    ctx.stroke();
    ctx.setLineDash([]);
  };
  if (curveB) {
    line(curveB, curveB.f, '#9bb', [2, 2], 1.5);
    line(curveB, curveB.d, '#dba', [2, 2], 1.5);
  }
  line(curve, curve.f, '#0877bd', [], 2);
  line(curve, curve.d, '#f59322', [5, 3], 2);
  for (const k of curve.kinks || []) {
    ctx.strokeStyle = '#c00';
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(X(k.x), Y(ymin)); ctx.lineTo(X(k.x), Y(ymax));
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#c00';
    ctx.beginPath();
    ctx.arc(X(k.x), Y(Math.max(ymin, Math.min(ymax, k.d))), 3.5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillText(`f\u2032(${+k.x.toFixed(3)}) = ${+k.d.toFixed(4)}`, Math.min(X(k.x) + 5, w - 90), 12);
  }
}

// The per-layer f' histogram strip: bars over [lo, hi), log-scaled counts.
export function plotHistogram(canvas, probe) {
  const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = '#f4f4f4';
  ctx.fillRect(0, 0, w, h);
  if (!probe || !probe.hist) return;
  const n = probe.hist.length, max = Math.max(1, ...probe.hist), base = h - 4;
  // ticks under the strip where f' = 0 and f' = 1 fall
  ctx.fillStyle = '#c00';
  for (const at of [0, 1]) {
    const x = (at - probe.lo) / (probe.hi - probe.lo) * w;
    ctx.fillRect(x - 1, base, 2, 4);
  }
  ctx.fillStyle = '#0877bd';
  for (let b = 0; b < n; b++) {
    const v = Math.log1p(probe.hist[b]) / Math.log1p(max);
    ctx.fillRect(b * w / n, base - v * base, Math.max(2, w / n - 0.5), v * base);
  }
}

const SVGNS = 'http://www.w3.org/2000/svg';
export function svgPath(svg, d, colourName, width, cls) {
  const p = document.createElementNS(SVGNS, 'path');
  p.setAttribute('d', d);
  p.setAttribute('stroke', colourName);
  p.setAttribute('stroke-width', String(width));
  p.setAttribute('fill', 'none');
  if (cls) p.setAttribute('class', cls);
  svg.appendChild(p);
  return p;
}

// Link colour and width from a weight, as the TensorFlow Playground draws them.
export function styleLink(path, weight) {
  path.setAttribute('stroke', css(colour(weight)));
  path.setAttribute('stroke-width', String(1 + 9 * Math.min(1, Math.abs(weight) / 5)));
}
