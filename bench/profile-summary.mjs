// Where a server's busy CPU time went, from the V8 CPU profiles `npm run bench --
// --cpu-prof` writes: self time by function and inclusive time by package (or by
// file of this project), idle and start-up left out.
//
//   node bench/profile-summary.mjs bench/results/profiles/default.create-delete [--top 20]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '20' } },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/profile-summary.mjs <.cpuprofile file or directory> [--top N]');
  process.exit(2);
}
const [target] = positionals;
const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((name) => name.endsWith('.cpuprofile'))
      .map((name) => path.join(target, name))
  : [target];
const top = Number(options.top);

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

  // Samples taken while the process was busy, after the first 20 % of them (start-up and warm-up).
  const busy = profile.samples.filter((id) => !['(idle)', '(program)'].includes(nodes.get(id).callFrame.functionName));
  const window = busy.slice(Math.floor(busy.length * 0.2));

  const self = new Map();
  const inclusive = new Map();
  const add = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const id of window) {
    const frame = nodes.get(id).callFrame;
    add(self, `${frame.functionName || '(anonymous)'} ${owner(frame)}`);
    const seen = new Set();
    for (let current = id; current !== undefined; current = parents.get(current)) {
      const key = owner(nodes.get(current).callFrame);
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key);
      }
    }
  }
  const share = (count) => `${((100 * count) / window.length).toFixed(1).padStart(5)} %`;
  const print = (title, map) => {
    console.log(`\n${title}`);
    for (const [key, count] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`${share(count)}  ${key}`);
  };
  console.log(`${path.basename(file)}: ${window.length} busy samples`);
  print('self time by function', self);
  print('inclusive time by package (a call stack counts once per package)', inclusive);
}

/** The npm package a frame belongs to, this project's file, or Node's own module. */
function owner(frame) {
  const url = frame.url;
  const match = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (url.includes('/dist/')) return `taskoverflow:${url.split('/dist/')[1]}`;
  if (url.startsWith('node:')) return url;
  return url || `(${frame.functionName || 'native'})`;
}
