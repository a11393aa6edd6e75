/**
 * Node-only figure rendering: Vega-Lite spec → SVG (vega-lite compile + headless vega View) → PNG
 * (resvg, with DejaVu Sans loaded by file path so the text in PNGs is the same on every machine).
 */
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../io/files.js';
import { ReportError } from './errors.js';

/** The font files PNG rendering loads when present (Debian/Ubuntu package `fonts-dejavu-core`). */
export const FONT_FILES: readonly string[] = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
];

/** PNG pixels per SVG pixel when no width is asked for: 2× keeps text crisp on high-DPI screens. */
export const DEFAULT_PNG_SCALE = 2;

/** Result of {@link compileSpec}: the Vega spec and every message Vega-Lite logged while compiling. */
export interface Compiled {
  vega: object;
  warnings: string[];
}

/** Options of {@link renderSvg}. */
export interface RenderOptions {
  /** Throw on any Vega-Lite or Vega warning (default true): a warning means data was dropped or a channel ignored. */
  strict?: boolean;
}

/** Options of {@link renderPng}: either a target `width` in px or a `scale` (default {@link DEFAULT_PNG_SCALE}). */
export interface PngOptions {
  width?: number;
  scale?: number;
  /** Font files to load instead of {@link FONT_FILES}. */
  fontFiles?: readonly string[];
}

/** Paths and sizes written by {@link writeFigure}; `ms` is the wall time of rendering both files. */
export interface FigureFiles {
  svgPath: string;
  pngPath: string;
  /** PNG size in px. */
  width: number;
  height: number;
  ms: number;
}

/** Collects log messages (the `LoggerInterface` of vega-util) instead of printing them. */
function collectingLogger(sink: string[]) {
  let lvl = 0;
  const logger = {
    level(l?: number) {
      if (l === undefined) return lvl as never;
      lvl = l;
      return logger;
    },
    error(...a: readonly unknown[]) {
      sink.push(`error: ${a.map(String).join(' ')}`);
      return logger;
    },
    warn(...a: readonly unknown[]) {
      sink.push(`warn: ${a.map(String).join(' ')}`);
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

/**
 * Compiles a Vega-Lite spec to a Vega spec, returning the warnings instead of printing them. Vega-Lite
 * is imported lazily (~170 ms) so that CLI commands which draw nothing do not pay for it.
 */
export async function compileSpec(spec: TopLevelSpec): Promise<Compiled> {
  const vl = await import('vega-lite');
  const warnings: string[] = [];
  try {
    const out = vl.compile(spec, { logger: collectingLogger(warnings) as never });
    return { vega: out.spec, warnings };
  } catch (e) {
    throw new ReportError(`compileSpec: Vega-Lite rejected the spec: ${(e as Error).message}`);
  }
}

/** Renders a Vega-Lite spec to an SVG document string (size in px = plot areas + axes + legends). */
export async function renderSvg(spec: TopLevelSpec, opts: RenderOptions = {}): Promise<string> {
  const strict = opts.strict ?? true;
  const { vega: vgSpec, warnings } = await compileSpec(spec);
  const vega = await import('vega');
  const logger = collectingLogger(warnings);
  const view = new vega.View(vega.parse(vgSpec as never), { renderer: 'none', logger: logger as never, logLevel: vega.Warn });
  try {
    const svg = await view.toSVG();
    if (strict && warnings.length > 0) {
      throw new ReportError(`renderSvg: ${warnings.length} warning(s) for '${titleOf(spec)}': ${warnings.join('; ')}`);
    }
    return svg;
  } finally {
    view.finalize();
  }
}

function titleOf(spec: TopLevelSpec): string {
  const t = (spec as { title?: unknown }).title;
  return typeof t === 'string' ? t : JSON.stringify(t ?? 'untitled');
}

/** The font files of `candidates` that exist on this machine. */
export function availableFonts(candidates: readonly string[] = FONT_FILES): string[] {
  return candidates.filter((f) => existsSync(f));
}

/**
 * Rasterises an SVG document to PNG bytes. With the DejaVu files present, only they are loaded (and
 * every family maps to DejaVu Sans), so the PNG is byte-for-byte reproducible; without them the system
 * fonts are used. Throws {@link ReportError} on invalid SVG or a non-positive width/scale.
 */
export function renderPng(svg: string, opts: PngOptions = {}): Uint8Array {
  if (opts.width !== undefined && !(Number.isInteger(opts.width) && opts.width > 0)) {
    throw new ReportError(`renderPng: width ${opts.width} must be a positive integer`);
  }
  const scale = opts.scale ?? DEFAULT_PNG_SCALE;
  if (!(scale > 0 && Number.isFinite(scale))) throw new ReportError(`renderPng: scale ${scale} must be > 0`);
  const fonts = availableFonts(opts.fontFiles ?? FONT_FILES);
  const options: ResvgRenderOptions = {
    fitTo: opts.width !== undefined ? { mode: 'width', value: opts.width } : { mode: 'zoom', value: scale },
    font:
      fonts.length > 0
        ? { loadSystemFonts: false, fontFiles: fonts, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' }
        : { loadSystemFonts: true },
  };
  try {
    return new Uint8Array(new Resvg(svg, options).render().asPng());
  } catch (e) {
    throw new ReportError(`renderPng: resvg could not render the SVG: ${(e as Error).message}`);
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Pixel size of a PNG, read from its IHDR chunk. Throws {@link ReportError} when `png` is not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  if (png.length < 24 || PNG_SIGNATURE.some((b, i) => png[i] !== b)) {
    throw new ReportError(`pngSize: not a PNG (${png.length} bytes, bad signature)`);
  }
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (String.fromCharCode(png[12], png[13], png[14], png[15]) !== 'IHDR') {
    throw new ReportError('pngSize: first chunk is not IHDR');
  }
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/**
 * Parses an SVG document (resvg's strict XML parser: mismatched tags, bad entities and non-SVG roots
 * are errors) and returns its size in px. Throws {@link ReportError} when it does not parse.
 */
export function svgSize(svg: string): { width: number; height: number } {
  try {
    const r = new Resvg(svg, { font: { loadSystemFonts: false } });
    return { width: r.width, height: r.height };
  } catch (e) {
    throw new ReportError(`svgSize: the SVG does not parse: ${(e as Error).message}`);
  }
}

/**
 * Renders `spec` and writes `dir/figure.svg` and `dir/figure.png` (creating `dir`), each atomically
 * (`writeFileAtomic`: temporary file, fsync, rename), so a reader never sees a half-written figure.
 */
export async function writeFigure(dir: string, spec: TopLevelSpec, opts: PngOptions & RenderOptions = {}): Promise<FigureFiles> {
  const t0 = performance.now();
  const svg = await renderSvg(spec, opts);
  const png = renderPng(svg, opts);
  mkdirSync(dir, { recursive: true });
  const svgPath = join(dir, 'figure.svg');
  const pngPath = join(dir, 'figure.png');
  await writeFileAtomic(svgPath, svg);
  await writeFileAtomic(pngPath, png);
  return { svgPath, pngPath, ...pngSize(png), ms: performance.now() - t0 };
}
