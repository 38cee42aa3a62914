import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/*
 * The GitHub Actions workflows and Dependabot's configuration, read as data.
 * They live in .github/, outside Jest's infra folders, so their checks are here.
 */

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

const workflowDir = '.github/workflows';
const workflows = readdirSync(path.join(root, workflowDir))
  .filter((file) => /\.ya?ml$/.test(file))
  .map((file) => `${workflowDir}/${file}`);

type Workflow = { jobs: Record<string, { uses?: string; steps?: { uses?: string }[] }> };

/** Every `uses:` of a workflow, from the parsed YAML (steps and reusable-workflow jobs alike). */
function usesOf(file: string): string[] {
  const workflow = parse(read(file)) as Workflow;
  return Object.values(workflow.jobs).flatMap((job) => [
    ...(job.uses ? [job.uses] : []),
    ...(job.steps ?? []).flatMap((step) => (step.uses ? [step.uses] : [])),
  ]);
}

/** The same `uses:` lines as text, with the comment YAML parsing drops. */
function usesLines(file: string): { uses: string; comment: string }[] {
  return read(file)
    .split('\n')
    .flatMap((line) => {
      const match = /^\s*(?:-\s+)?uses:\s*(['"]?)([^\s'"#]+)\1\s*(?:#\s*(.*))?$/.exec(line);
      return match ? [{ uses: match[2], comment: match[3] ?? '' }] : [];
    });
}

describe('.github/workflows', () => {
  it.each(workflows)('%s pins every action to one full commit SHA, with its version in a comment', (file) => {
    const lines = usesLines(file);
    // Each `uses:` the YAML holds is on a line of its own that the text check sees.
    expect(lines.map((l) => l.uses)).toEqual(usesOf(file));
    expect(lines.length).toBeGreaterThan(0);
    const pins = new Map<string, string>();
    for (const { uses, comment } of lines) {
      // Actions in this repository are reviewed with it.
      if (uses.startsWith('./')) continue;
      if (uses.startsWith('docker://')) {
        expect(uses).toMatch(/@sha256:[0-9a-f]{64}$/);
        continue;
      }
      // A tag can be moved to other code; a commit cannot.
      expect({ uses, comment }).toEqual({
        uses: expect.stringMatching(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/),
        comment: expect.stringMatching(/^v\d+(\.\d+){0,2}\b/),
      });
      // The same action at the same commit throughout, so one update moves them all.
      const [action] = uses.split('@');
      const pin = `${uses} # ${comment}`;
      expect({ action, pin }).toEqual({ action, pin: pins.get(action) ?? pin });
      pins.set(action, pin);
    }
  });
});

describe('.github/dependabot.yml', () => {
  type Update = {
    'package-ecosystem': string;
    directory?: string;
    directories?: string[];
    schedule: { interval: string };
    groups?: Record<string, { 'update-types'?: string[] }>;
  };
  const config = () => parse(read('.github/dependabot.yml')) as { version: number; updates: Update[] };

  it('is version 2', () => {
    expect(config().version).toBe(2);
  });

  it.each([
    ['github-actions', '/'],
    ['npm', '/'],
    ['docker', '/docker'],
  ])('checks %s in %s weekly, minor and patch updates grouped', (ecosystem, directory) => {
    const update = config().updates.find(
      (u) => u['package-ecosystem'] === ecosystem && (u.directory === directory || u.directories?.includes(directory)),
    );
    expect(update).toBeDefined();
    expect(update?.schedule.interval).toBe('weekly');
    const types = Object.values(update?.groups ?? {}).map((group) => group['update-types'] ?? []);
    expect(types).toContainEqual(expect.arrayContaining(['minor', 'patch']));
  });
});
