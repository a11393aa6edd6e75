/**
 * The report page `report/index.html`: claims table, then each figure with its summary. Hand-written
 * Markdown subset (headings, paragraphs, lists, pipe tables, code, bold/italic) so that every other
 * character of a summary is escaped: no Markdown dependency, no raw HTML passes through.
 */
import { ReportError } from './errors.js';

/** One figure of the report: folder `name` under the report root holds `figure.svg` and `summary.md`. */
export interface FigureEntry {
  /** Folder name, e.g. `fig3`; also the page anchor `#fig3`. */
  name: string;
  title: string;
  /** Image path relative to the page; default `<name>/figure.svg`. Ignored when `svg` is given. */
  svgPath?: string;
  /** The SVG document itself, embedded as a data URI (keeps the page self-contained without id clashes). */
  svg?: string;
  /** The figure's `summary.md`. */
  summaryMd: string;
  /** Extra links shown under the figure, e.g. `{ label: 'data.csv', href: 'fig3/data.csv' }`. */
  links?: readonly { label: string; href: string }[];
}

/** One row of the claims table: the paper's claim, our measured number (as shown) and whether it held. */
export interface Claim {
  claim: string;
  number: string | number;
  held: boolean;
  /** Name of the figure the claim belongs to (links to it). */
  figure?: string;
}

/** Input of {@link buildIndexHtml}. */
export interface IndexInput {
  title: string;
  /** Markdown shown under the title (e.g. the command and wall time of the run). */
  introMd?: string;
  figures: readonly FigureEntry[];
  claims: readonly Claim[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const STYLE = `
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.held { color: #1a7f37; font-weight: bold; }
td.not-held { color: #b42318; font-weight: bold; }
section { border-top: 1px solid #ddd; margin-top: 2.5em; padding-top: 1em; }
img.figure { max-width: 100%; height: auto; display: block; margin: 1em 0; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; }
code { background: #f6f8fa; padding: 0 0.2em; }
p.links a { margin-right: 1em; }
`.trim();

/**
 * Builds the report's `index.html`: title, intro, the claims table (claim, our number, held or not),
 * a table of contents, and one section per figure (image + rendered summary). Every text is escaped.
 * Throws {@link ReportError} on a figure name that is not a plain folder name or on duplicate names.
 */
export function buildIndexHtml(input: IndexInput): string {
  const seen = new Set<string>();
  for (const [i, f] of input.figures.entries()) {
    if (!NAME.test(f.name)) throw new ReportError(`buildIndexHtml: figures[${i}].name '${f.name}' is not a plain folder name`);
    if (seen.has(f.name)) throw new ReportError(`buildIndexHtml: figures[${i}].name '${f.name}' is a duplicate`);
    seen.add(f.name);
  }
  for (const [i, c] of input.claims.entries()) {
    if (c.figure !== undefined && !seen.has(c.figure)) {
      throw new ReportError(`buildIndexHtml: claims[${i}].figure '${c.figure}' names no figure`);
    }
  }
  const claimRows = input.claims.map((c) => {
    const claim = c.figure ? `<a href="#${c.figure}">${escapeHtml(c.figure)}</a>: ${inline(c.claim)}` : inline(c.claim);
    const cls = c.held ? 'held' : 'not-held';
    return `<tr><td>${claim}</td><td>${escapeHtml(formatNumber(c.number))}</td><td class="${cls}">${c.held ? 'held' : 'not held'}</td></tr>`;
  });
  const toc = input.figures.map((f) => `<li><a href="#${f.name}">${escapeHtml(f.name)}</a>: ${escapeHtml(f.title)}</li>`);
  const sections = input.figures.map(figureSection);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>\n${STYLE}\n</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(input.title)}</h1>`,
    input.introMd ? markdownToHtml(input.introMd, 1) : '',
    '<h2>Claims</h2>',
    '<table class="claims">',
    '<thead><tr><th>claim</th><th>our number</th><th>held</th></tr></thead>',
    `<tbody>\n${claimRows.join('\n')}\n</tbody>`,
    '</table>',
    '<h2>Figures</h2>',
    `<ul>\n${toc.join('\n')}\n</ul>`,
    ...sections,
    '</body>',
    '</html>',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

function figureSection(f: FigureEntry): string {
  const src = f.svg !== undefined ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(f.svg)}` : (f.svgPath ?? `${f.name}/figure.svg`);
  const links = (f.links ?? []).map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a>`);
  return [
    `<section id="${f.name}">`,
    `<h2>${escapeHtml(f.title)} <small>(${escapeHtml(f.name)})</small></h2>`,
    `<img class="figure" src="${escapeHtml(src)}" alt="${escapeHtml(f.title)}">`,
    links.length > 0 ? `<p class="links">${links.join(' ')}</p>` : '',
    `<div class="summary">\n${markdownToHtml(f.summaryMd, 2)}\n</div>`,
    '</section>',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

function formatNumber(v: string | number): string {
  if (typeof v === 'string') return v;
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

/** Escapes `& < > " '` so that text is inert in HTML element content and quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const FENCE = /^\s*```/;
const HEADING = /^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

/**
 * Renders the Markdown subset to HTML: ATX headings (shifted down by `headingOffset` levels, at most
 * h6), paragraphs, `-`/`*`/`1.` lists (one level), pipe tables with alignment, fenced code blocks,
 * inline `code`, `**bold**` and `*italic*`. Everything else, raw HTML included, comes out escaped.
 */
export function markdownToHtml(md: string, headingOffset = 0): string {
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
    } else if (FENCE.test(line)) {
      const body: string[] = [];
      for (i++; i < lines.length && !FENCE.test(lines[i]); i++) body.push(lines[i]);
      i++; // the closing fence (or the end of an unclosed block)
      out.push(`<pre><code>${escapeHtml(body.join('\n'))}</code></pre>`);
    } else if (HEADING.test(line)) {
      const [, hashes, text] = HEADING.exec(line) as RegExpExecArray;
      const level = Math.min(6, hashes.length + headingOffset);
      out.push(`<h${level}>${inline(text)}</h${level}>`);
      i++;
    } else if (tableStarts(lines, i)) {
      const start = i;
      for (i += 2; i < lines.length && lines[i].includes('|') && lines[i].trim() !== ''; i++);
      out.push(table(lines.slice(start, i)));
    } else if (BULLET.test(line) || NUMBERED.test(line)) {
      const ordered = !BULLET.test(line);
      const marker = ordered ? NUMBERED : BULLET;
      const items: string[] = [];
      while (i < lines.length && lines[i].trim() !== '') {
        const m = marker.exec(lines[i]);
        if (m) items.push(m[1]);
        else if (BULLET.test(lines[i]) || NUMBERED.test(lines[i])) break; // the other list kind starts
        else items[items.length - 1] += ` ${lines[i].trim()}`; // continuation line
        i++;
      }
      const tag = ordered ? 'ol' : 'ul';
      out.push(`<${tag}>\n${items.map((t) => `<li>${inline(t)}</li>`).join('\n')}\n</${tag}>`);
    } else {
      const para: string[] = [];
      while (i < lines.length && lines[i].trim() !== '' && !startsBlock(lines, i)) para.push(lines[i++].trim());
      out.push(`<p>${inline(para.join(' '))}</p>`);
    }
  }
  return out.join('\n');
}

/** A pipe table starts at a line with a `|` followed by a `---|---` rule line. */
function tableStarts(lines: readonly string[], i: number): boolean {
  return lines[i].includes('|') && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]);
}

function startsBlock(lines: readonly string[], i: number): boolean {
  const l = lines[i];
  return FENCE.test(l) || HEADING.test(l) || BULLET.test(l) || NUMBERED.test(l) || tableStarts(lines, i);
}

function table(rows: readonly string[]): string {
  const head = cells(rows[0]);
  const align = cells(rows[1]).map((c) => {
    const l = c.startsWith(':');
    const r = c.endsWith(':');
    return l && r ? 'center' : r ? 'right' : l ? 'left' : '';
  });
  const td = (tag: string, c: string, j: number) => (align[j] ? `<${tag} style="text-align:${align[j]}">` : `<${tag}>`) + inline(c) + `</${tag}>`;
  const body = rows.slice(2).map((r) => `<tr>${cells(r).map((c, j) => td('td', c, j)).join('')}</tr>`);
  return [
    '<table>',
    `<thead><tr>${head.map((c, j) => td('th', c, j)).join('')}</tr></thead>`,
    `<tbody>\n${body.join('\n')}\n</tbody>`,
    '</table>',
  ].join('\n');
}

/** Cells of a pipe-table row; `\|` is a literal bar inside a cell. */
function cells(row: string): string[] {
  const t = row.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return t.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Inline Markdown: `code` spans verbatim (escaped), then `**bold**` and `*italic*` on escaped text. */
function inline(text: string): string {
  return text
    .split(/(`[^`]+`)/)
    .map((part) => {
      if (part.length > 1 && part.startsWith('`') && part.endsWith('`')) return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      return escapeHtml(part)
        .replace(/\*\*(?=\S)(.+?)\*\*/g, '<strong>$1</strong>')
        .replace(/(^|[^*\w])\*(?=\S)([^*]+?)\*(?![*\w])/g, '$1<em>$2</em>');
    })
    .join('');
}
