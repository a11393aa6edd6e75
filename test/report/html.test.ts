// Report page: the Markdown subset renders its blocks and escapes everything else; the index page
// lists every figure and every claim, and rejects names that are not plain folder names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIndexHtml, escapeHtml, markdownToHtml, type IndexInput } from '../../src/report/html.js';
import { ReportError } from '../../src/report/errors.js';

test('escapeHtml: the five HTML-special characters', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('markdownToHtml: raw HTML and <script> come out escaped, in every block kind', () => {
  const md = [
    '# Title <script>alert(1)</script>',
    '',
    'Text <script>alert(2)</script> and <img src=x onerror=alert(3)>',
    '',
    '- item <script>alert(4)</script>',
    '',
    '| a | b |',
    '|---|---|',
    '| <script>alert(5)</script> | `<b>` |',
    '',
    '```',
    '<script>alert(6)</script>',
    '```',
  ].join('\n');
  const html = markdownToHtml(md);
  assert.ok(!/<script|<img|<b>/i.test(html), html);
  assert.equal(html.match(/&lt;script&gt;/g)?.length, 5);
  assert.ok(html.includes('&lt;img src=x onerror=alert(3)&gt;'));
});

test('markdownToHtml: headings (with offset), paragraphs, lists, code, bold and italic', () => {
  const md = [
    '# fig3: resolution robustness',
    '## Numbers',
    'The claim',
    'spans two lines, with **bold**, *italic* and `x_N[n] = x(n/N)`.',
    '',
    '- first',
    '  continued',
    '- second',
    '',
    '1. one',
    '2. two',
    '',
    '```ts',
    'const a = 2 * b; // **not bold**',
    '```',
  ].join('\n');
  const html = markdownToHtml(md, 2);
  assert.ok(html.includes('<h3>fig3: resolution robustness</h3>'));
  assert.ok(html.includes('<h4>Numbers</h4>'));
  assert.ok(
    html.includes(
      '<p>The claim spans two lines, with <strong>bold</strong>, <em>italic</em> and <code>x_N[n] = x(n/N)</code>.</p>',
    ),
    html,
  );
  assert.ok(html.includes('<ul>\n<li>first continued</li>\n<li>second</li>\n</ul>'));
  assert.ok(html.includes('<ol>\n<li>one</li>\n<li>two</li>\n</ol>'));
  assert.ok(html.includes('<pre><code>const a = 2 * b; // **not bold**</code></pre>'));
  // Headings never go below h6, and a `2 * 3 * 4` product is not italic.
  assert.equal(markdownToHtml('###### deep', 3), '<h6>deep</h6>');
  assert.equal(markdownToHtml('## C# and F# ##'), '<h2>C# and F#</h2>');
  assert.equal(markdownToHtml('2 * 3 * 4'), '<p>2 * 3 * 4</p>');
});

test('markdownToHtml: pipe tables with alignment and escaped bars', () => {
  const md = ['| model | N | acc |', '|:---|:---:|---:|', '| SAE-FNO | 64 | 0.98 |', '| a \\| b | 128 | 0.5 |'].join('\n');
  const html = markdownToHtml(md);
  assert.ok(html.includes('<thead><tr><th style="text-align:left">model</th><th style="text-align:center">N</th><th style="text-align:right">acc</th></tr></thead>'), html);
  assert.ok(html.includes('<tr><td style="text-align:left">SAE-FNO</td><td style="text-align:center">64</td><td style="text-align:right">0.98</td></tr>'));
  assert.ok(html.includes('<td style="text-align:left">a | b</td>'));
  assert.equal(html.match(/<tr>/g)?.length, 3);
});

function input(): IndexInput {
  return {
    title: 'saeno: reproducing the paper',
    introMd: 'Run with `saeno reproduce` in 12 min.',
    figures: [
      { name: 'fig2a', title: 'Lifting accelerates learning', summaryMd: '# fig2a\nL-SAE reaches 0.05 in **3×** fewer steps.' },
      {
        name: 'fig3',
        title: 'Resolution robustness',
        svg: '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>',
        summaryMd: '| N | acc |\n|---|---|\n| 64 | 0.9 |',
        links: [{ label: 'data.csv', href: 'fig3/data.csv' }],
      },
    ],
    claims: [
      { claim: 'L-SAE learns faster than SAE', number: 'speed-up 3.1×', held: true, figure: 'fig2a' },
      { claim: 'SAE-FNO keeps 1-sparse accuracy at 4·N0 <script>', number: 0.4567891, held: false, figure: 'fig3' },
    ],
  };
}

test('buildIndexHtml: every figure (section, image, summary) and every claim row', () => {
  const html = buildIndexHtml(input());
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(html.includes('<title>saeno: reproducing the paper</title>'));
  assert.ok(html.includes('<p>Run with <code>saeno reproduce</code> in 12 min.</p>'));
  for (const name of ['fig2a', 'fig3']) {
    assert.ok(html.includes(`<section id="${name}">`), name);
    assert.ok(html.includes(`<a href="#${name}">${name}</a>`), name);
  }
  assert.ok(html.includes('<img class="figure" src="fig2a/figure.svg" alt="Lifting accelerates learning">'));
  assert.ok(html.includes('src="data:image/svg+xml;charset=utf-8,%3Csvg%20xmlns%3D'), 'inline svg as data URI');
  assert.ok(html.includes('<h3>fig2a</h3>'), 'summary headings sit below the section heading');
  assert.ok(html.includes('<strong>3×</strong>'));
  assert.ok(html.includes('<td>0.9</td>'));
  assert.ok(html.includes('<a href="fig3/data.csv">data.csv</a>'));
  const rows = html.match(/<tbody>[\s\S]*?<\/tbody>/)?.[0] ?? '';
  assert.ok(rows.includes('<td><a href="#fig2a">fig2a</a>: L-SAE learns faster than SAE</td><td>speed-up 3.1×</td><td class="held">held</td>'));
  assert.ok(rows.includes('<td>0.4568</td><td class="not-held">not held</td>'), 'numbers to 4 significant digits');
  assert.ok(!html.includes('<script'), 'claim text is escaped');
});

test('buildIndexHtml: rejects path-like, duplicate and dangling figure names', () => {
  const bad = (patch: (i: IndexInput) => void) => {
    const i = input();
    patch(i);
    return () => buildIndexHtml(i);
  };
  const rename = (i: IndexInput, j: number, name: string) => (i.figures = i.figures.map((f, k) => (k === j ? { ...f, name } : f)));
  assert.throws(bad((i) => rename(i, 0, '../x')), (e: Error) => e instanceof ReportError && /figures\[0\]\.name '\.\.\/x'/.test(e.message));
  assert.throws(bad((i) => rename(i, 1, 'fig2a')), /figures\[1\]\.name 'fig2a' is a duplicate/);
  assert.throws(bad((i) => (i.claims = [{ ...i.claims[0], figure: 'fig9' }])), /claims\[0\]\.figure 'fig9' names no figure/);
});
