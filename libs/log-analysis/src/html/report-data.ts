import type { Analysis } from '../analysis';
import type { Trace } from '../trace';

/** Everything the analysis page shows; embedded in it as JSON. */
export interface AnalysisReportData {
  title: string;
  /** The log read: a file name or a CloudWatch log group. */
  source: string;
  generatedAt: string;
  skippedLines: number;
  analysis: Analysis;
  /** The timelines of the example requests, by id, opened from the page's links. */
  traces: Record<string, Trace>;
}

/** One measured configuration and scenario, as `npm run bench` writes it to its JSON. */
export interface BenchResult {
  config: string;
  scenario: string;
  generator: string;
  requests_per_second: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  errors: number;
  non_2xx: number;
  server_cpu_ms_per_request: number;
  db_cpu_ms_per_request?: number;
  rss_mb: number;
  throughput_vs_bare?: number;
  server_cpu_vs_bare?: number;
  db_cpu_vs_bare?: number;
  /** With --rounds: how many runs each figure is the median of. */
  rounds?: number;
}

export interface BenchReportData {
  title: string;
  generatedAt: string;
  /** How the run was made: Node version, cores, pinning, connections, duration. */
  setup: Record<string, string | number | boolean>;
  results: BenchResult[];
}
