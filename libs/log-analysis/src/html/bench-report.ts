import { drawBenchReport } from './bench-report.client';
import { renderPage } from './page';
import type { BenchReportData } from './report-data';
import { REPORT_STYLES } from './styles';

/** The bench page: each measure, configurations side by side, one chart per scenario; the table of every result. */
export function renderBenchReport(data: BenchReportData): string {
  return renderPage({ title: data.title, styles: REPORT_STYLES, data, draw: drawBenchReport });
}
