/** The report pages' own styles (uPlot brings its own). */
export const REPORT_STYLES = `
:root { color-scheme: light; --fg: #1d2430; --muted: #5b6472; --line: #d9dee5; --bad: #b42318; --warn: #b54708; --ok: #067647; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #f6f7f9; }
main { max-width: 1400px; margin: 0 auto; padding: 20px 24px 60px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta { color: var(--muted); margin: 0 0 16px; }
.verdict { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--warn); border-radius: 6px; padding: 14px 18px; }
.verdict.none { border-left-color: var(--ok); }
.verdict.errors { border-left-color: var(--bad); }
.verdict .class { font-size: 20px; font-weight: 650; }
.verdict .reason { margin: 6px 0; }
.evidence { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 8px; margin-top: 10px; }
.evidence div { background: #f6f7f9; border-radius: 4px; padding: 6px 10px; }
.evidence b { display: block; font-size: 16px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 14px; }
figure.chart { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px; min-width: 0; }
.note { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; background: #fff; width: 100%; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.sql, td code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-word; }
a.request-id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
#trace { position: fixed; inset: 5% 5% auto 5%; max-height: 90%; overflow: auto; background: #fff; border: 1px solid var(--line);
  border-radius: 8px; box-shadow: 0 10px 40px rgba(0,0,0,.25); padding: 16px 20px; z-index: 10; }
#trace[hidden] { display: none; }
#trace .close { float: right; }
.bar { position: relative; height: 12px; min-width: 160px; background: #f0f2f5; }
.bar span { position: absolute; top: 0; bottom: 0; background: #2e6fd8; min-width: 2px; }
.bar span.sql { background: #d9822b; }
.bar span.failed { background: var(--bad); }
`;
