import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@dit/core';
import { epochMeans, type LossLogRow } from './loss-log.js';

export interface RunReportInput {
  runName: string;
  rows: readonly LossLogRow[];
  lossChartPng: string;
  sampleGridPng?: string;
  /** Extra facts shown in the summary table (backend, model preset, ...). */
  facts?: Record<string, string>;
}

const escapeHtml = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

async function dataUri(path: string): Promise<string> {
  return `data:image/png;base64,${(await readFile(path)).toString('base64')}`;
}

/** A single self-contained HTML page (images inlined) summarising a run. */
export async function writeRunReport(path: string, input: RunReportInput): Promise<void> {
  const epochs = epochMeans(input.rows);
  const finite = input.rows.filter((r) => Number.isFinite(r.loss));
  const last = epochs[epochs.length - 1];
  const first = epochs[0];
  const facts: Record<string, string> = {
    steps: String(input.rows.length ? input.rows[input.rows.length - 1].step : 0),
    epochs: first && last ? `${first.epoch}–${last.epoch}` : '–',
    'first epoch mean loss': first ? first.loss.toFixed(4) : '–',
    'last epoch mean loss': last ? last.loss.toFixed(4) : '–',
    'lowest step loss': finite.length ? finite.reduce((lowest, r) => Math.min(lowest, r.loss), Infinity).toFixed(4) : '–',
    'non-finite losses': String(input.rows.length - finite.length),
    ...input.facts,
  };
  const table = Object.entries(facts)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('\n');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(input.runName)} — @dit run report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1240px; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; }
th { background: #f6f6f6; font-weight: 600; }
img { max-width: 100%; border: 1px solid #ddd; }
</style>
</head>
<body>
<h1>${escapeHtml(input.runName)}</h1>
<table>
${table}
</table>
<h2>Loss</h2>
<img alt="loss curve" src="${await dataUri(input.lossChartPng)}">
${input.sampleGridPng ? `<h2>Validation samples</h2>\n<img alt="validation samples over epochs" src="${await dataUri(input.sampleGridPng)}">` : ''}
</body>
</html>
`;
  await writeFileAtomic(path, html);
}
