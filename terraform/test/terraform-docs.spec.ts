import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadModule, terraformDir } from './support/terraform-module';

/*
 * terraform/README.md's Inputs and Outputs tables are generated from the .tf
 * files by scripts/terraform-docs.mjs. The script is run as a process, as
 * `npm run docs:terraform:check` runs it: it is an ES module, which Jest's
 * CommonJS transform cannot import.
 */

const moduleDir = terraformDir;
const script = path.resolve(moduleDir, '..', 'scripts', 'terraform-docs.mjs');

function run(...args: string[]) {
  return spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
}

/** A copy of the module's .tf files and README in a temporary directory. */
function copyModule(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'terraform-docs-'));
  for (const file of readdirSync(moduleDir).filter((f) => f.endsWith('.tf') || f === 'README.md')) {
    cpSync(path.join(moduleDir, file), path.join(dir, file));
  }
  return dir;
}

describe('terraform/README.md inputs and outputs', () => {
  it('are what npm run docs:terraform generates from the .tf files', () => {
    const result = run('--check');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('list every variable and output of the module', async () => {
    const readme = readFileSync(path.join(moduleDir, 'README.md'), 'utf8');
    const module = await loadModule();
    const names = { variable: Object.keys(module.variable), output: Object.keys(module.output) };
    expect(names.variable.length).toBeGreaterThan(0);
    expect(names.output.length).toBeGreaterThan(0);
    for (const name of [...names.variable, ...names.output]) {
      expect(readme).toContain(`| \`${name}\` |`);
    }
  });

  describe('on a copy of the module with a variable added', () => {
    let dir: string;
    beforeEach(() => {
      dir = copyModule();
      appendFileSync(
        path.join(dir, 'variables.tf'),
        '\nvariable "planted_for_test" {\n  type        = string\n  description = "Planted | by the test."\n}\n',
      );
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('--check reports the README out of date and exits 1', () => {
      const result = run('--check', dir);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('README.md is out of date');
      expect(result.stderr).toContain('npm run docs:terraform');
    });

    it('regenerates the tables with the new variable as required, after which --check passes', () => {
      expect(run(dir).status).toBe(0);
      const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
      expect(readme).toContain('| `planted_for_test` | `string` | required | Planted \\| by the test. |');
      expect(run('--check', dir).status).toBe(0);
    });
  });

  it('refuses a README without the markers instead of writing nothing', () => {
    const dir = copyModule();
    try {
      writeFileSync(path.join(dir, 'README.md'), '# No tables here\n');
      const result = run('--check', dir);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('<!-- BEGIN_TF_DOCS -->');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
