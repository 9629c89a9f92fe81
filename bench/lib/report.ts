// The benchmark's output: figures (one row each: ours, the peer, their ratio) and the plain-text table.

export interface Figure {
  /** Stable id, e.g. "init.wallMs@10000". */
  id: string;
  /** The section the row belongs to, e.g. "Full init". */
  group: string;
  label: string;
  unit: string;
  size?: number;
  ours: number | null;
  peer: number | null;
  /** ours ÷ peer; null when either is missing or the peer's is 0. */
  ratio: number | null;
  /** Extra text shown after a value, e.g. requests by operation. */
  oursNote?: string;
  peerNote?: string;
  /** Which direction is better, for reading the ratio. */
  better: 'lower' | 'higher';
}

export function figure(f: Omit<Figure, 'ratio'>): Figure {
  const ratio = f.ours !== null && f.peer !== null && f.peer !== 0 ? f.ours / f.peer : null;
  return { ...f, ratio };
}

export function formatValue(value: number | null, unit: string): string {
  if (value === null) return '—';
  if (!Number.isFinite(value)) return String(value);
  if (unit === 'bytes') return value >= 1e6 ? `${(value / 1e6).toFixed(2)} MB` : `${(value / 1e3).toFixed(1)} KB`;
  const abs = Math.abs(value);
  const digits = Number.isInteger(value) || abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit && unit !== 'count' ? `${text} ${unit}` : text;
}

export function formatRatio(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '—';
  if (ratio === 0) return '0';
  if (ratio < 0.01) return `1/${Math.round(1 / ratio).toLocaleString('en-US')}`;
  return `${ratio.toFixed(ratio >= 10 ? 0 : 2)}×`;
}

/** A Markdown table (also readable as plain text): figure | ours | peer | ratio (ours ÷ peer). */
export function renderTable(figures: Figure[]): string {
  const rows = [['Figure', 'Ours', 'LaunchDarkly store', 'Ratio (ours ÷ peer)']];
  let group = '';
  for (const f of figures) {
    if (f.group !== group) {
      group = f.group;
      rows.push([`**${group}**`, '', '', '']);
    }
    const cell = (v: number | null, note?: string) => formatValue(v, f.unit) + (note ? ` (${note})` : '');
    rows.push([f.label, cell(f.ours, f.oursNote), cell(f.peer, f.peerNote), formatRatio(f.ratio)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w, c) => (c === 0 ? ':' : '') + '-'.repeat(w + 1) + (c === 0 ? '' : ':')).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}
