import type { Analysis } from '../analysis';
import { drawAnalysisReport } from './analysis-report.client';
import type { AnalysisReportData } from './report-data';
import { renderPage } from './page';
import { REPORT_STYLES } from './styles';

/** Request ids traced into the page at most: every example the report shows, within reason. */
export const MAX_TRACES = 80;

/** The request ids the report gives as examples, most telling first. */
export function exampleRequestIds(analysis: Analysis): string[] {
  const ids = [
    ...[...analysis.verdict.reason.matchAll(/\(e\.g\. ([^)\s]+)\)/g)].map((m) => m[1]),
    ...analysis.slowestShapes.flatMap((s) => s.examples),
    ...analysis.repeatedShapes.flatMap((s) => s.examples),
    ...analysis.slowestRequests.map((r) => r.requestId),
    ...analysis.summary.manyQueriesExamples,
    ...analysis.failedRequests.slice(0, 10).map((f) => f.requestId),
    ...analysis.failedQueries.slice(0, 10).flatMap((f) => (f.requestId ? [f.requestId] : [])),
  ];
  return [...new Set(ids)].slice(0, MAX_TRACES);
}

export function renderAnalysisReport(data: AnalysisReportData): string {
  return renderPage({ title: data.title, styles: REPORT_STYLES, data, draw: drawAnalysisReport });
}
