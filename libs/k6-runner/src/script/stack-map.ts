/**
 * Stack traces of script errors, told in the script's own files and lines
 * (`at default (file:///…/smoke.ts:12:5)`) rather than the bundle's, with the
 * runner's frames left out, as k6 shows them.
 */
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The file name the bundle is evaluated under. */
export const BUNDLE_FILENAME = '__k6_bundle__.js';

export interface Location {
  file: string;
  line: number;
  column: number;
}

const FRAME = /^(\s*at\s+)(?:(.*?)\s+\()?(.+?):(\d+):(\d+)\)?\s*$/;

export class StackMapper {
  private readonly map: SourceMap;

  /** `runtimeRoot`: the runner's own sources, whose frames are left out. */
  constructor(
    sourceMapJson: string,
    private readonly runtimeRoot: string,
  ) {
    this.map = new SourceMap(JSON.parse(sourceMapJson) as SourceMapPayload);
  }

  /** The script position of a bundle position (1-based line and column), or undefined for the runner's own code. */
  locate(line: number, column: number): Location | undefined {
    const entry = this.map.findEntry(line - 1, column - 1) as Partial<{
      originalSource: string;
      originalLine: number;
      originalColumn: number;
    }>;
    if (entry.originalSource === undefined || entry.originalLine === undefined) return undefined;
    const source = entry.originalSource;
    if (path.isAbsolute(source) && source.startsWith(this.runtimeRoot + path.sep)) return undefined;
    return { file: source, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
  }

  /** The frames of a stack that are the script's, mapped; the first line (the message) is kept. */
  frames(stack: string): { name: string | undefined; location: Location }[] {
    const frames: { name: string | undefined; location: Location }[] = [];
    for (const line of stack.split('\n')) {
      const match = FRAME.exec(line);
      if (match === null || match[3] !== BUNDLE_FILENAME) continue;
      const location = this.locate(Number(match[4]), Number(match[5]));
      if (location !== undefined) frames.push({ name: match[2], location });
    }
    return frames;
  }

  mapStack(stack: string): string {
    const lines = stack.split('\n');
    const message: string[] = [];
    for (const line of lines) {
      if (FRAME.test(line)) break;
      message.push(line);
    }
    const frames = this.frames(stack).map(({ name, location }) => {
      const where = `${displayFile(location.file)}:${location.line}:${location.column}`;
      return `\tat ${name === undefined ? where : `${name} (${where})`}`;
    });
    return [...message, ...frames].join('\n');
  }
}

function displayFile(file: string): string {
  return path.isAbsolute(file) ? pathToFileURL(file).href : file;
}
