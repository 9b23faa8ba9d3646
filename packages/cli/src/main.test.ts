import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSupersededRows, parseLossLog, renderLossChartSvg } from '@dit/train';
import { EXIT } from './errors.js';
import { runCli } from './main.js';
import { capture } from './test-capture.js';

const originalLog = fileURLToPath(new URL('../../train/fixtures/original-loss-log-every-8th-step.csv', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-cli-'));
  await cp(originalLog, join(dir, 'log.csv'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dit', () => {
  it('doctor reports the backend and why faster ones were skipped, as JSON', async () => {
    const { io, out } = capture();
    expect(await runCli(['doctor', '--json'], io)).toBe(EXIT.ok);
    const report = JSON.parse(out.join('\n'));
    expect(['node-gpu', 'node', 'wasm', 'cpu']).toContain(report.backend.name);
    expect(report.packages['@tensorflow/tfjs-core']).toBe('4.22.0');
    expect(report.packages.sharp).toMatch(/^0\.\d+/);
    expect(report.node).toBe(process.version);
  });

  it('plot takes options from a YAML config, typed flags winning', async () => {
    await writeFile(join(dir, 'plot.yaml'), `out: ${join(dir, 'from-config')}\nlogScale: true\nphases: "601,901"\nsmoothing: 0.5\n`);
    const rows = dropSupersededRows(parseLossLog(await readFile(originalLog, 'utf8'))).rows;
    const phases = [
      { name: 'phase 2', startEpoch: 601 },
      { name: 'phase 3', startEpoch: 901 },
    ];
    const chart = (smoothing: number) => renderLossChartSvg(rows, { title: `${basename(dir)}: training loss`, logScale: true, smoothing, phases });

    // Every value of the file applies, the smoothing over the flag's default (0.98) too.
    const fromConfig = capture();
    expect(await runCli(['plot', dir, '--config', join(dir, 'plot.yaml')], fromConfig.io)).toBe(EXIT.ok);
    expect(fromConfig.out.join('\n')).toContain(join(dir, 'from-config', 'loss.png'));
    const svg = await readFile(join(dir, 'from-config', 'loss.svg'), 'utf8');
    expect(svg).toContain('loss (log scale)');
    expect(svg).toContain('phase 3 (epoch 901)');
    expect(svg).toBe(chart(0.5));

    // Flags typed on the command line win over the file; the file's other values still apply.
    const flagged = capture();
    const code = await runCli(['plot', dir, '--config', join(dir, 'plot.yaml'), '--out', join(dir, 'from-flag'), '--smoothing', '0.9'], flagged.io);
    expect(code).toBe(EXIT.ok);
    expect(flagged.out.join('\n')).toContain(join(dir, 'from-flag', 'loss.png'));
    expect(await readFile(join(dir, 'from-flag', 'loss.svg'), 'utf8')).toBe(chart(0.9));
  });

  it('usage errors exit 2 with a one-line message and no stack trace', async () => {
    const { io, err } = capture();
    expect(await runCli(['plot', dir, '--smoothing', 'lots'], io)).toBe(EXIT.usage);
    expect(err.join('\n')).toContain("--smoothing: expected a number, got 'lots'");
    const bad = capture();
    await writeFile(join(dir, 'bad.yaml'), 'colour: blue\n');
    expect(await runCli(['plot', dir, '--config', join(dir, 'bad.yaml')], bad.io)).toBe(EXIT.usage);
    expect(bad.err.join('\n')).toMatch(/config: unknown option\(s\) colour/);
    const unknown = capture();
    expect(await runCli(['frobnicate'], unknown.io)).toBe(EXIT.usage);
  });

  it('runtime errors exit 1, with the stack only under --verbose', async () => {
    const quiet = capture();
    expect(await runCli(['plot', join(dir, 'missing')], quiet.io)).toBe(EXIT.failure);
    expect(quiet.err).toHaveLength(1);
    expect(quiet.err[0]).toMatch(/missing: no log\.csv/);
    const loud = capture();
    expect(await runCli(['--verbose', 'plot', join(dir, 'missing')], loud.io)).toBe(EXIT.failure);
    expect(loud.err.join('\n')).toMatch(/at .*plot-run/);
  });
});
