/**
 * A small canvas line plotter for the live panels. Hand-written rather than Vega: the
 * panels redraw several times a second while training, and a canvas repaint of a few
 * thousand points costs well under a millisecond with no dataflow, DOM or re-layout.
 */

export interface Series {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color: string;
  width?: number;
  dash?: number[];
  /** shown in the legend when set. */
  label?: string;
  /** vertical stems from 0 (codes) instead of a polyline. */
  stem?: boolean;
}

export interface Frame {
  title?: string;
  /** colour of the title text (default near-black). */
  titleColor?: string;
  xLabel?: string;
  yLabel?: string;
  logY?: boolean;
  /** fixed ranges; otherwise fitted to the data. */
  xRange?: [number, number];
  yRange?: [number, number];
}

const PAD = { left: 46, right: 8, top: 18, bottom: 30 };
const FONT = '11px system-ui, sans-serif';
const AXIS = '#555';
const GRID = '#e6e6e6';

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/**
 * Ticks of a log axis spanning 10^lo…10^hi: round linear values when it spans under two
 * decades (0.2, 0.3, 0.5 rather than 10^−0.2), else 1·, 2·, 5·10^k thinned to about `count`.
 */
function logTicks(lo: number, hi: number, count: number): number[] {
  const a = 10 ** lo;
  const b = 10 ** hi;
  if (hi - lo < 2) {
    const mag = 10 ** Math.floor(lo);
    return [1, 2, 3, 5].flatMap((m) => [m * mag, m * mag * 10, m * mag * 100]).filter((v) => v >= a * 0.999 && v <= b * 1.001).sort((x, y) => x - y);
  }
  const out: number[] = [];
  const every = Math.max(1, Math.ceil((hi - lo) / count));
  for (let e = Math.ceil(lo); e <= hi; e += every) out.push(10 ** e);
  return out;
}

function format(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
}

function extent(series: Series[], key: 'x' | 'y', positiveOnly: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    const a = s[key];
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!Number.isFinite(v) || (positiveOnly && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (key === 'y' && s.stem && !positiveOnly) {
      lo = Math.min(lo, 0);
      hi = Math.max(hi, 0);
    }
  }
  if (!Number.isFinite(lo)) return positiveOnly ? [0.1, 1] : [0, 1];
  if (lo === hi) return positiveOnly ? [lo / 2, hi * 2] : [lo - 1, hi + 1];
  return [lo, hi];
}

/** Sizes the canvas backing store to its CSS box × devicePixelRatio; returns the 2-D context in CSS pixels. */
function prepare(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = FONT;
  return { ctx, w, h };
}

/** Draws `series` on `canvas` with axes, grid, title and legend. */
export function drawPlot(canvas: HTMLCanvasElement, series: Series[], frame: Frame = {}): void {
  const { ctx, w, h } = prepare(canvas);
  const pw = w - PAD.left - PAD.right;
  const ph = h - PAD.top - PAD.bottom;
  if (pw <= 10 || ph <= 10) return;
  const [x0, x1] = frame.xRange ?? extent(series, 'x', false);
  let [y0, y1] = frame.yRange ?? extent(series, 'y', Boolean(frame.logY));
  if (!frame.yRange && !frame.logY) {
    const m = 0.05 * (y1 - y0);
    y0 -= m;
    y1 += m;
  }
  const ly = (v: number) => (frame.logY ? Math.log10(v) : v);
  const [ly0, ly1] = frame.logY ? [Math.floor(Math.log10(y0) * 4) / 4, Math.ceil(Math.log10(y1) * 4) / 4] : [y0, y1];
  const X = (v: number) => PAD.left + ((v - x0) / (x1 - x0 || 1)) * pw;
  const Y = (v: number) => PAD.top + ph - ((ly(v) - ly0) / (ly1 - ly0 || 1)) * ph;

  // grid and tick labels
  ctx.strokeStyle = GRID;
  ctx.fillStyle = AXIS;
  ctx.lineWidth = 1;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of niceTicks(x0, x1, Math.max(2, Math.floor(pw / 70)))) {
    const px = X(t);
    ctx.beginPath();
    ctx.moveTo(px, PAD.top);
    ctx.lineTo(px, PAD.top + ph);
    ctx.stroke();
    // the last label would overflow the canvas: right-align it to the axis end
    ctx.textAlign = px > PAD.left + pw - 12 ? 'right' : 'center';
    ctx.fillText(format(t), px > PAD.left + pw - 12 ? PAD.left + pw + PAD.right : px, PAD.top + ph + 3);
  }
  const yTicks = frame.logY ? logTicks(ly0, ly1, Math.max(2, Math.floor(ph / 28))) : niceTicks(y0, y1, Math.max(2, Math.floor(ph / 28)));
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of yTicks) {
    const py = Y(t);
    ctx.beginPath();
    ctx.moveTo(PAD.left, py);
    ctx.lineTo(PAD.left + pw, py);
    ctx.stroke();
    ctx.fillText(format(t), PAD.left - 4, py);
  }
  ctx.strokeStyle = AXIS;
  ctx.strokeRect(PAD.left, PAD.top, pw, ph);

  // data, clipped to the plot area
  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.left, PAD.top, pw, ph);
  ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.width ?? 1.5;
    ctx.setLineDash(s.dash ?? []);
    ctx.beginPath();
    const n = Math.min(s.x.length, s.y.length);
    // long histories: about two points per pixel column are enough for a line
    const stride = s.stem ? 1 : Math.max(1, Math.floor(n / (2 * pw)));
    let pen = false;
    for (let i = 0; i < n; i += stride) {
      const v = s.y[i];
      if (!Number.isFinite(v) || (frame.logY && v <= 0)) {
        pen = false;
        continue;
      }
      const px = X(s.x[i]);
      if (s.stem) {
        ctx.moveTo(px, Y(frame.logY ? y0 : 0));
        ctx.lineTo(px, Y(v));
      } else if (pen) ctx.lineTo(px, Y(v));
      else ctx.moveTo(px, Y(v));
      pen = true;
    }
    ctx.stroke();
  }
  ctx.restore();
  ctx.setLineDash([]);

  // labels
  ctx.fillStyle = frame.titleColor ?? '#222';
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  if (frame.title) ctx.fillText(frame.title, PAD.left, 2);
  if (frame.xLabel) {
    ctx.textAlign = 'right';
    ctx.fillStyle = AXIS;
    ctx.fillText(frame.xLabel, PAD.left + pw, PAD.top + ph + 16);
  }
  if (frame.yLabel) {
    ctx.save();
    ctx.translate(10, PAD.top + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillStyle = AXIS;
    ctx.fillText(frame.yLabel, 0, -6);
    ctx.restore();
  }
  legend(ctx, series, PAD.left + pw);
}

/** Legend entries in a row at the top right inside the plot area, on a translucent white box. */
function legend(ctx: CanvasRenderingContext2D, series: Series[], right: number): void {
  const items = series.filter((s) => s.label);
  if (!items.length) return;
  const widths = items.map((s) => ctx.measureText(s.label as string).width + 22);
  const total = widths.reduce((a, b) => a + b, 0) + 4;
  const top = PAD.top + 2;
  ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
  ctx.fillRect(right - total - 2, top, total, 15);
  let x = right - total + 2;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  items.forEach((s, i) => {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dash ?? []);
    ctx.beginPath();
    ctx.moveTo(x, top + 8);
    ctx.lineTo(x + 14, top + 8);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#333';
    ctx.fillText(s.label as string, x + 18, top + 8);
    x += widths[i];
  });
}
