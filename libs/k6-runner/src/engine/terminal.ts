import { writeSync } from 'node:fs';

/**
 * What the run prints on stderr: log lines in k6's style
 * (`WARN[0012] Request Failed  error="..."`) and, on a terminal, a progress
 * block redrawn in place under them; when stderr is not a terminal the
 * progress comes as plain lines every few seconds.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LABEL: Record<LogLevel, string> = { debug: 'DEBU', info: 'INFO', warn: 'WARN', error: 'ERRO' };
const COLOR: Record<LogLevel, number> = { debug: 37, info: 36, warn: 33, error: 31 };

/** Plain progress lines this often when stderr is not a terminal. */
const PLAIN_PROGRESS_MS = 10_000;

export class Terminal {
  private readonly started = Date.now();
  private progressLines = 0;
  private lastPlainProgress = 0;
  readonly isTTY: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly options: {
      quiet: boolean;
      verbose: boolean;
      noColor: boolean;
      /** --console-output: the file descriptor the script's console lines go to instead. */
      consoleFd?: number;
    } = { quiet: false, verbose: false, noColor: false },
  ) {
    this.isTTY = out.isTTY === true;
  }

  private paint(code: number, text: string): string {
    return this.isTTY && !this.options.noColor ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  /** A log line: level, seconds since start, message, then key="value" fields. */
  log(level: LogLevel, message: string, fields: Record<string, string | number> = {}): void {
    if (level === 'debug' && !this.options.verbose) return;
    this.write(this.format(level, message, fields, true));
  }

  /** A line the script logged with console.*: to the --console-output file when there is one. */
  console(level: LogLevel, text: string): void {
    if (this.options.consoleFd === undefined) this.log(level, text, { source: 'console' });
    else if (level !== 'debug' || this.options.verbose) {
      writeSync(this.options.consoleFd, `${this.format(level, text, { source: 'console' }, false)}\n`);
    }
  }

  private format(level: LogLevel, message: string, fields: Record<string, string | number>, color: boolean): string {
    const seconds = String(Math.floor((Date.now() - this.started) / 1000)).padStart(4, '0');
    const extra = Object.entries(fields)
      .map(
        ([key, value]) =>
          `${key}=${typeof value === 'number' || /^[\w./:-]+$/.test(value) ? value : JSON.stringify(value)}`,
      )
      .join(' ');
    const label = `${LABEL[level]}[${seconds}]`;
    return `${color ? this.paint(COLOR[level], label) : label} ${message}${extra === '' ? '' : `  ${extra}`}`;
  }

  /** A line of its own (the run's header, notes). */
  write(text: string): void {
    this.clearProgress();
    this.out.write(`${text}\n`);
  }

  /** Shows the progress block: in place on a terminal, as plain lines now and then otherwise. */
  progress(lines: string[], final = false): void {
    if (this.options.quiet) return;
    if (!this.isTTY) {
      const now = Date.now();
      if (!final && now - this.lastPlainProgress < PLAIN_PROGRESS_MS) return;
      this.lastPlainProgress = now;
      this.out.write(`${lines.join('\n')}\n`);
      return;
    }
    this.clearProgress();
    this.out.write(`${lines.join('\n')}\n`);
    this.progressLines = final ? 0 : lines.length;
  }

  private clearProgress(): void {
    if (this.progressLines === 0) return;
    this.out.write(`\u001b[${this.progressLines}A\u001b[J`);
    this.progressLines = 0;
  }
}
