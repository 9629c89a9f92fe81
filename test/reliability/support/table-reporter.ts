// A vitest reporter that prints the reliability table after the run: one line per fault or case, with how
// many faults were injected (or attempts made), how many items were checked, and how many were lost or
// rolled back, which must all be 0. The rows come from each test's meta (see report.ts).
import type { Reporter, TestModule } from 'vitest/node';
import { rowsOf, type ReliabilityRow } from './report.js';

export default class ReliabilityTableReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const lines: { row: ReliabilityRow; result: string }[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        const result = state === 'passed' ? (test.options.fails ? 'known bug' : 'pass') : state === 'failed' ? 'FAIL' : state;
        for (const row of rowsOf(test.meta())) lines.push({ row, result });
      }
    }
    if (lines.length === 0) return;
    const header = ['Area', 'Fault or case', 'Injected/tried', 'Items checked', 'Lost', 'Rolled back', 'Result', 'Note'];
    const body = lines.map(({ row, result }) => [
      row.area,
      row.name,
      String(row.injected),
      String(row.checked),
      String(row.lost),
      String(row.rolledBack),
      result,
      row.note ?? '',
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
    const numeric = new Set([2, 3, 4, 5]);
    const fmt = (cells: string[]) =>
      `| ${cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
    const rule = `|${widths.map((w, i) => (numeric.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
    const total = (pick: (r: ReliabilityRow) => number, which = (_: string) => true) =>
      lines.reduce((n, { row, result }) => n + (which(result) ? pick(row) : 0), 0);
    const known = lines.filter((l) => l.result === 'known bug').length;
    const guaranteed = (result: string) => result !== 'known bug';
    const out = [
      '',
      'Reliability and security suite',
      fmt(header),
      rule,
      ...body.map(fmt),
      '',
      `${lines.length} cases; ${total((r) => r.injected)} faults injected or attempts made; ${total((r) => r.checked)} items checked; ` +
        `${total((r) => r.lost, guaranteed)} lost; ${total((r) => r.rolledBack, guaranteed)} rolled back` +
        (known
          ? ` (and ${total(
              (r) => r.lost + r.rolledBack,
              (r) => !guaranteed(r),
            )} in ${known} known-bug case(s), marked it.fails)`
          : ''),
      '',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
}
