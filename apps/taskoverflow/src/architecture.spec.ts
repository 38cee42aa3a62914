import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/*
 * The import rules of docs/architecture.md, checked over the source files
 * (specs and test support aside): the libraries never import the
 * application, a library reaches another only through its `@app/<name>`
 * alias (its index), and no file imports itself through a cycle.
 */

const ROOT = path.resolve(__dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

const FILES = ['apps', 'libs'].flatMap((top) =>
  readdirSync(path.join(ROOT, top)).flatMap((name) => sourceFiles(path.join(ROOT, top, name, 'src'))),
);

/** The package a file belongs to: `apps/taskoverflow`, `libs/logging`, ... */
const packageOf = (file: string) => path.relative(ROOT, file).split(path.sep).slice(0, 2).join('/');

/** Every module specifier a file imports or re-exports. */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((ref) => ref.fileName);
}

/** A relative specifier as the file it names, if it is one of ours. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => FILES.includes(candidate));
}

describe('architecture: who may import what', () => {
  it('finds the source files', () => {
    expect(FILES.length).toBeGreaterThan(50);
  });

  it('libraries do not import the application', () => {
    const offending = FILES.filter((file) => packageOf(file).startsWith('libs/')).flatMap((file) =>
      importsOf(file)
        .filter(
          (specifier) =>
            specifier.startsWith('.') && packageOf(resolveRelative(file, specifier) ?? file).startsWith('apps/'),
        )
        .map((specifier) => `${path.relative(ROOT, file)} -> ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('a library is reached from another package only through its @app alias, never by a relative path', () => {
    const offending = FILES.flatMap((file) =>
      importsOf(file)
        .filter((specifier) => specifier.startsWith('.'))
        .filter((specifier) => {
          const target = path.resolve(path.dirname(file), specifier);
          return packageOf(`${target}.ts`) !== packageOf(file);
        })
        .map((specifier) => `${path.relative(ROOT, file)} -> ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('has no import cycles', () => {
    const graph = new Map(
      FILES.map((file) => [
        file,
        importsOf(file)
          .filter((specifier) => specifier.startsWith('.'))
          .map((specifier) => resolveRelative(file, specifier))
          .filter((target): target is string => target !== undefined),
      ]),
    );
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].map((f) => path.relative(ROOT, f)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of FILES) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
