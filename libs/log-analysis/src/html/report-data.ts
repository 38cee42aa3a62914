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
