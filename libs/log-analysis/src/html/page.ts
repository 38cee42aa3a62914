import { readFileSync } from 'node:fs';

/*
 * One self-contained HTML page: uPlot (charts), its stylesheet, the page's
 * own styles, the data as JSON and the function that draws it, all inline,
 * so the file opens from file:// with no network.
 *
 * The drawing function is written in TypeScript beside the code that
 * renders its page and is inlined as its source text (Function.prototype.
 * toString): it must not use anything from outside its own body but its
 * arguments.
 */

export interface PageOptions<T> {
  title: string;
  /** Styles of the page, beside uPlot's. */
  styles: string;
  data: T;
  /** Called in the page as draw(data, uPlot) once the document is parsed. */
  draw: (data: T, uplot: never) => void;
}

let uplotAssets: { script: string; styles: string } | undefined;

function uplot(): { script: string; styles: string } {
  uplotAssets ??= {
    script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    styles: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return uplotAssets;
}

/** JSON that cannot close the script element it sits in. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderPage<T>({ title, styles, data, draw }: PageOptions<T>): string {
  const { script, styles: uplotStyles } = uplot();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${uplotStyles}</style>
<style>${styles}</style>
</head>
<body>
<main id="report" aria-busy="true"></main>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${script}</script>
<script>
(${draw.toString()})(JSON.parse(document.getElementById('report-data').textContent), uPlot);
</script>
</body>
</html>
`;
}
