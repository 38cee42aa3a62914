/**
 * `npm run k6 -- run [flags] <script>`: runs a k6 script as `k6 run` does,
 * with k6's flags, K6_* variables, output and exit codes. The k6 modules and
 * options this runner does not have are refused by name (docs/k6-runner.md
 * lists what it covers).
 */
import { openSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EXIT, Engine, EngineError } from '../engine/engine';
import { Terminal } from '../engine/terminal';
import { type CliOverrides, OptionsError, buildRunPlan } from '../options/run-plan';
import { BundleError, bundleScript } from '../script/bundle';
import { buildSummaryData, summaryExport } from '../summary/summary-data';
import { type SummaryMode, observedKey, textSummary } from '../summary/text-summary';

export const RUNNER_VERSION = '1.0.0';

const USAGE = `usage: npm run k6 -- run [flags] <script.js|script.ts>
       npm run k6 -- version

Runs a k6 script (k6's own flags, output and exit codes), for machines without k6.

flags:
  -u, --vus N                    VUs of the execution shortcut (scenario "default")
  -i, --iterations N             iterations shared by the VUs
  -d, --duration D               run for D (30s, 5m, 1h30m)
  -s, --stage D:T                ramp to T VUs over D (repeat for more stages)
  -e, --env KEY=VALUE            set __ENV.KEY (repeatable)
      --tag KEY=VALUE            add a tag to every metric sample (repeatable)
      --include-system-env-vars=false  leave the shell's variables out of __ENV
      --console-output FILE      write the script's console.* lines to FILE instead of stderr
      --summary-export FILE      write the summary in k6's --summary-export JSON format
      --summary-trend-stats LIST trend statistics in the summary, e.g. avg,med,p(95),p(99)
      --summary-time-unit UNIT   s, ms or us for the times in the summary
      --summary-mode MODE        compact (default) or full
      --no-summary               no end-of-test summary (nor handleSummary, nor --summary-export)
      --no-thresholds            ignore the thresholds
      --no-setup, --no-teardown  skip setup() / teardown()
      --user-agent TEXT          the User-Agent header
      --max-redirects N          redirects to follow (default 10)
      --insecure-skip-tls-verify accept any TLS certificate
  -w, --throw                    failed requests and bad metric values throw
  -q, --quiet                    no progress output
  -v, --verbose                  also print console.debug()
      --no-color                 no colours

exit codes: 0 passed; 99 thresholds crossed; 100/101 setup/teardown timed out;
104 invalid options; 105 stopped by a signal; 107 script error; 108 test.abort();
110 exec.test.fail().`;

/** K6_* variables read like their flags (the flags win). */
const ENV_FLAGS: Record<string, string> = {
  K6_VUS: 'vus',
  K6_ITERATIONS: 'iterations',
  K6_DURATION: 'duration',
  K6_STAGES: 'stage',
  K6_NO_THRESHOLDS: 'no-thresholds',
  K6_NO_SUMMARY: 'no-summary',
  K6_NO_SETUP: 'no-setup',
  K6_NO_TEARDOWN: 'no-teardown',
  K6_SUMMARY_EXPORT: 'summary-export',
  K6_CONSOLE_OUTPUT: 'console-output',
  K6_SUMMARY_TREND_STATS: 'summary-trend-stats',
  K6_SUMMARY_TIME_UNIT: 'summary-time-unit',
  K6_SUMMARY_MODE: 'summary-mode',
  K6_USER_AGENT: 'user-agent',
  K6_MAX_REDIRECTS: 'max-redirects',
  K6_INSECURE_SKIP_TLS_VERIFY: 'insecure-skip-tls-verify',
  K6_THROW: 'throw',
  K6_NO_COLOR: 'no-color',
  K6_INCLUDE_SYSTEM_ENV_VARS: 'include-system-env-vars',
};

/** K6_* variables that change nothing here, as they change nothing for a local `k6 run`. */
const ENV_NO_EFFECT = new Set(['K6_NO_USAGE_REPORT', 'K6_BIN']);

const OPTIONS = {
  vus: { type: 'string', short: 'u' },
  iterations: { type: 'string', short: 'i' },
  duration: { type: 'string', short: 'd' },
  stage: { type: 'string', short: 's', multiple: true },
  env: { type: 'string', short: 'e', multiple: true },
  tag: { type: 'string', multiple: true },
  'include-system-env-vars': { type: 'string' },
  'summary-export': { type: 'string' },
  'console-output': { type: 'string' },
  'summary-trend-stats': { type: 'string' },
  'summary-time-unit': { type: 'string' },
  'summary-mode': { type: 'string' },
  'no-summary': { type: 'string' },
  'no-thresholds': { type: 'string' },
  'no-setup': { type: 'string' },
  'no-teardown': { type: 'string' },
  'user-agent': { type: 'string' },
  'max-redirects': { type: 'string' },
  'insecure-skip-tls-verify': { type: 'string' },
  throw: { type: 'string', short: 'w' },
  quiet: { type: 'string', short: 'q' },
  verbose: { type: 'string', short: 'v' },
  'no-color': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Flags that take no value (`--quiet`), or true/false after `=` (`--throw=false`). */
const SWITCHES: OptionName[] = [
  'no-summary',
  'no-thresholds',
  'no-setup',
  'no-teardown',
  'insecure-skip-tls-verify',
  'throw',
  'quiet',
  'verbose',
  'no-color',
];

class UsageError extends Error {}

/** A bare switch gets the value "true", so every flag parses as a string and `--flag=false` works as in k6. */
function normaliseSwitches(argv: string[]): string[] {
  const out: string[] = [];
  const long = new Set(SWITCHES.map((name) => `--${name}`));
  const short = new Map(
    SWITCHES.filter((name) => 'short' in OPTIONS[name]).map((name) => [
      `-${(OPTIONS[name] as { short: string }).short}`,
      name,
    ]),
  );
  for (const arg of argv) {
    if (long.has(arg)) out.push(`${arg}=true`);
    else if (short.has(arg)) out.push(`--${short.get(arg)}=true`);
    else if (arg === '--include-system-env-vars') out.push('--include-system-env-vars=true');
    else out.push(arg);
  }
  return out;
}

function switchValue(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new UsageError(`--${name} takes true or false; got "${value}"`);
}

function wholeNumber(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min)
    throw new UsageError(`--${name} must be a whole number of at least ${min}; got "${value}"`);
  return Number(value);
}

function keyValues(items: string[] | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${name} takes KEY=VALUE; got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function parseStages(items: string[] | undefined): CliOverrides['stages'] {
  if (items === undefined || items.length === 0) return undefined;
  return items.flatMap((item) =>
    item.split(',').map((part) => {
      const match = /^\s*([^:]+):(\d+)\s*$/.exec(part);
      if (match === null) throw new UsageError(`--stage takes DURATION:TARGET such as 30s:10; got "${part}"`);
      return { duration: match[1], target: Number(match[2]) };
    }),
  );
}

interface Invocation {
  script: string;
  cli: CliOverrides;
  env: Record<string, string>;
  summaryExport: string | undefined;
  consoleOutput: string | undefined;
  summaryMode: SummaryMode;
  quiet: boolean;
  verbose: boolean;
  noColor: boolean;
  warnings: string[];
}

function parseRun(argv: string[], environment: NodeJS.ProcessEnv): Invocation {
  const fromEnv: string[] = [];
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(environment)) {
    if (!name.startsWith('K6_') || value === undefined || value === '') continue;
    const flag = ENV_FLAGS[name];
    if (flag === undefined) {
      if (!ENV_NO_EFFECT.has(name))
        warnings.push(`${name} is not read by this runner (it reads ${Object.keys(ENV_FLAGS).join(', ')})`);
      continue;
    }
    if (flag === 'stage') for (const stage of value.split(',')) fromEnv.push(`--stage=${stage}`);
    else fromEnv.push(`--${flag}=${value}`);
  }
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  let envParsed: typeof parsed;
  try {
    parsed = parseArgs({ args: normaliseSwitches(argv), options: OPTIONS, allowPositionals: true, strict: true });
    envParsed = parseArgs({ args: fromEnv, options: OPTIONS, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = {
    ...envParsed.values,
    ...Object.fromEntries(Object.entries(parsed.values).filter(([, v]) => v !== undefined)),
  };
  if (values.help === true) throw new UsageError('');
  if (parsed.positionals.length !== 1) {
    throw new UsageError(
      parsed.positionals.length === 0
        ? 'which script? give one .js or .ts file'
        : `one script at a time; got ${parsed.positionals.join(' ')}`,
    );
  }
  const summaryMode = values['summary-mode'] ?? 'compact';
  if (summaryMode !== 'compact' && summaryMode !== 'full') {
    throw new UsageError(
      `--summary-mode must be compact or full${summaryMode === 'legacy' ? ' (this runner has no legacy summary)' : ''}; got "${summaryMode}"`,
    );
  }
  const includeSystemEnv = switchValue(values['include-system-env-vars'], 'include-system-env-vars') ?? true;
  const env: Record<string, string> = {};
  if (includeSystemEnv)
    for (const [key, value] of Object.entries(environment)) if (value !== undefined) env[key] = value;
  Object.assign(env, keyValues(values.env, 'env'));
  const tags = keyValues(values.tag, 'tag');
  return {
    script: parsed.positionals[0],
    cli: {
      vus: wholeNumber(values.vus, 'vus', 1),
      iterations: wholeNumber(values.iterations, 'iterations', 1),
      duration: values.duration,
      stages: parseStages(values.stage),
      tags: Object.keys(tags).length > 0 ? tags : undefined,
      noThresholds: switchValue(values['no-thresholds'], 'no-thresholds'),
      noSummary: switchValue(values['no-summary'], 'no-summary'),
      noSetup: switchValue(values['no-setup'], 'no-setup'),
      noTeardown: switchValue(values['no-teardown'], 'no-teardown'),
      summaryTrendStats: values['summary-trend-stats']?.split(',').map((s) => s.trim()),
      summaryTimeUnit: values['summary-time-unit'],
      userAgent: values['user-agent'],
      maxRedirects: wholeNumber(values['max-redirects'], 'max-redirects', 0),
      insecureSkipTLSVerify: switchValue(values['insecure-skip-tls-verify'], 'insecure-skip-tls-verify'),
      throw: switchValue(values.throw, 'throw'),
    },
    env,
    summaryExport: values['summary-export'],
    consoleOutput: values['console-output'],
    summaryMode,
    quiet: switchValue(values.quiet, 'quiet') ?? false,
    verbose: switchValue(values.verbose, 'verbose') ?? false,
    noColor: switchValue(values['no-color'], 'no-color') ?? false,
    warnings,
  };
}

/** Writes handleSummary()'s outputs: stdout, stderr or a file (whose directory must exist, as with k6). */
function writeSummaryOutputs(outputs: Record<string, unknown>, engine: Engine): void {
  for (const [target, content] of Object.entries(outputs)) {
    const data =
      typeof content === 'string'
        ? content
        : content instanceof ArrayBuffer
          ? Buffer.from(content)
          : ArrayBuffer.isView(content)
            ? Buffer.from(content.buffer)
            : JSON.stringify(content);
    try {
      if (target === 'stdout') process.stdout.write(data);
      else if (target === 'stderr') process.stderr.write(data);
      else writeFileSync(target, data);
    } catch (error) {
      engine.log(
        'error',
        `failed to handle the end-of-test summary: could not write ${target}: ${(error as Error).message}`,
      );
    }
  }
}

async function run(invocation: Invocation): Promise<number> {
  let consoleFd: number | undefined;
  if (invocation.consoleOutput !== undefined) {
    try {
      consoleFd = openSync(invocation.consoleOutput, 'w');
    } catch (error) {
      process.stderr.write(`error: --console-output ${invocation.consoleOutput}: ${(error as Error).message}\n`);
      return EXIT.invalidConfig;
    }
  }
  const terminal = new Terminal(process.stderr, {
    quiet: invocation.quiet,
    verbose: invocation.verbose,
    noColor: invocation.noColor,
    consoleFd,
  });
  for (const warning of invocation.warnings) terminal.log('warn', warning);

  let bundle;
  try {
    bundle = await bundleScript(invocation.script);
  } catch (error) {
    if (error instanceof BundleError) {
      terminal.log('error', `could not load ${invocation.script}: ${error.message}`);
      return EXIT.scriptException;
    }
    throw error;
  }

  const engine = new Engine(bundle, terminal, JSON.stringify(invocation.env));
  let signals = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      engine.log(
        'warn',
        `${name} received: stopping the test (teardown and the summary still run); send it again to stop at once`,
      );
      engine.halt(EXIT.externalAbort, `stopped by ${name}`);
    } else {
      engine.log('error', `${name} received again: stopping at once`);
      void engine.close().finally(() => process.exit(EXIT.externalAbort));
    }
  };
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(name, onSignal);

  try {
    const shape = await engine.readScript(invocation.cli.throw ?? false);
    const plan = buildRunPlan(JSON.parse(shape.options), invocation.cli, (message) => terminal.log('warn', message));
    engine.prepare(plan);
    terminal.write(engine.header(invocation.script).join('\n'));
    if (engine.stopping.aborted) return EXIT.externalAbort;

    await engine.run();

    const outcomes = plan.noThresholds ? [] : engine.thresholdOutcomes();
    if (!plan.noSummary) {
      const data = buildSummaryData({
        metrics: engine.registry.all(),
        outcomes,
        groups: engine.groups,
        trendStats: plan.summaryTrendStats,
        summaryTimeUnit: plan.summaryTimeUnit,
        noColor: invocation.noColor,
        durationMs: engine.testRunDurationMs,
        setupData: engine.setupData,
        isStdOutTTY: process.stdout.isTTY === true,
        isStdErrTTY: process.stderr.isTTY === true,
      });
      if (invocation.summaryExport !== undefined) {
        try {
          writeFileSync(invocation.summaryExport, `${JSON.stringify(summaryExport(data), null, 4)}\n`);
        } catch (error) {
          engine.log(
            'error',
            `could not write the summary export ${invocation.summaryExport}: ${(error as Error).message}`,
          );
        }
      }
      const custom = await engine.handleSummary(JSON.stringify(data));
      if (custom !== undefined) writeSummaryOutputs(custom, engine);
      else {
        process.stdout.write(
          textSummary(data, {
            mode: invocation.summaryMode,
            color: process.stdout.isTTY === true && !invocation.noColor,
            observed: new Map(outcomes.map((o) => [observedKey(o.set.name, o.threshold.source), o.observed])),
          }),
        );
      }
    }
    const crossed = [...new Set(outcomes.filter((o) => !o.ok).map((o) => `'${o.set.name}'`))];
    if (crossed.length > 0) engine.log('error', `thresholds on metrics ${crossed.join(', ')} have been crossed`);
    const stop = engine.stopReason;
    if (stop !== undefined && stop.code !== EXIT.thresholdsCrossed)
      engine.log('error', `test run stopped: ${stop.reason}`);
    return engine.exitCode(outcomes);
  } catch (error) {
    if (error instanceof EngineError) {
      terminal.log('error', error.message);
      return error.exitCode;
    }
    if (error instanceof OptionsError) {
      terminal.log('error', `invalid options: ${error.message}`);
      return EXIT.invalidConfig;
    }
    throw error;
  } finally {
    await engine.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'version') {
    process.stdout.write(`k6-compatible runner v${RUNNER_VERSION} (TaskOverflow; node ${process.version})\n`);
    return 0;
  }
  if (command === undefined || command === 'help' || command === '-h' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT.invalidConfig : 0;
  }
  if (command !== 'run') {
    process.stderr.write(`unknown command "${command}": this runner has "run" and "version"\n${USAGE}\n`);
    return EXIT.invalidConfig;
  }
  let invocation: Invocation;
  try {
    invocation = parseRun(rest, process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message === '') {
        process.stdout.write(`${USAGE}\n`);
        return 0;
      }
      process.stderr.write(`error: ${error.message}\n${USAGE}\n`);
      return EXIT.invalidConfig;
    }
    throw error;
  }
  return run(invocation);
}

/** Exits once stdout and stderr are written out (a piped summary is not cut short). */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (error: unknown) => {
  process.stderr.write(
    `the runner failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  exit(1);
});
