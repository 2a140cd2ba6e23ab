/** A tiny SVG chart writer: panels of horizontal bars, optionally stacked, with target lines. No dependencies. */

export interface Segment {
  value: number;
  color: string;
  /** Legend name of the segment's series. */
  series?: string;
}

export interface Bar {
  label: string;
  segments: Segment[];
  /** Shown at the end of the bar; defaults to the total. */
  text?: string;
  /** A target for this bar only, drawn as a tick across it. */
  target?: number;
}

export interface Panel {
  title: string;
  unit: string;
  bars: Bar[];
  scale?: 'linear' | 'log';
  /** Lines across the whole panel (e.g. a target). */
  lines?: { value: number; label: string }[];
  /** Axis range; derived from the data when absent. */
  min?: number;
  max?: number;
}

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const font = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function formatTick(value: number): string {
  if (value >= 1000 && value % 1000 === 0) return `${value / 1000}k`;
  if (value < 1) return String(Math.round(value * 100) / 100);
  return String(Math.round(value * 10) / 10);
}

const rowHeight = 26;
const labelWidth = 210;
const barAreaWidth = 480;
const panelWidth = labelWidth + barAreaWidth + 130;

function panelHeight(panel: Panel): number {
  return 60 + panel.bars.length * rowHeight + 26;
}

function renderPanel(panel: Panel, top: number): string {
  const totals = panel.bars.map((bar) => bar.segments.reduce((sum, segment) => sum + segment.value, 0));
  const peaks = [
    ...totals,
    ...panel.bars.map((bar) => bar.target ?? 0),
    ...(panel.lines ?? []).map((line) => line.value),
  ];
  const log = panel.scale === 'log';
  const max = panel.max ?? niceMax(Math.max(...peaks) * 1.05);
  const min = log
    ? (panel.min ??
      10 ** Math.floor(Math.log10(Math.max(1e-9, Math.min(...totals.filter((total) => total > 0))))))
    : 0;
  const x = (value: number): number => {
    if (log) {
      const clamped = Math.min(Math.max(value, min), max);
      return (
        labelWidth +
        ((Math.log10(clamped) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * barAreaWidth
      );
    }
    return labelWidth + (Math.min(value, max) / max) * barAreaWidth;
  };
  const parts: string[] = [];
  parts.push(
    `<text x="12" y="${top + 22}" ${font} font-size="15" font-weight="600" fill="#222">${escape(panel.title)}</text>`,
  );
  const axisTop = top + 36;
  const axisBottom = axisTop + panel.bars.length * rowHeight + 6;
  const ticks: number[] = [];
  if (log) for (let tick = min; tick <= max * 1.0001; tick *= 10) ticks.push(tick);
  else for (let index = 0; index <= 4; index += 1) ticks.push((max / 4) * index);
  for (const tick of ticks) {
    parts.push(
      `<line x1="${x(tick)}" y1="${axisTop}" x2="${x(tick)}" y2="${axisBottom}" stroke="#e3e3e3"/>`,
      `<text x="${x(tick)}" y="${axisBottom + 14}" ${font} font-size="10" fill="#777" text-anchor="middle">${formatTick(tick)}</text>`,
    );
  }
  parts.push(
    `<text x="${labelWidth + barAreaWidth}" y="${axisBottom + 26}" ${font} font-size="10" fill="#777" text-anchor="end">${escape(panel.unit)}${log ? ' (log scale)' : ''}</text>`,
  );
  panel.bars.forEach((bar, index) => {
    const y = axisTop + index * rowHeight + 4;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 13}" ${font} font-size="12" fill="#333" text-anchor="end">${escape(bar.label)}</text>`,
    );
    let start = 0;
    for (const segment of bar.segments) {
      const from = log && start === 0 ? labelWidth : x(start);
      const to = x(start + segment.value);
      if (to > from)
        parts.push(
          `<rect x="${from}" y="${y}" width="${to - from}" height="18" fill="${segment.color}" rx="2"/>`,
        );
      start += segment.value;
    }
    parts.push(
      `<text x="${x(Math.max(start, bar.target ?? 0)) + 6}" y="${y + 13}" ${font} font-size="11" fill="#333">${escape(bar.text ?? formatTick(start))}</text>`,
    );
    if (bar.target !== undefined)
      parts.push(
        `<line x1="${x(bar.target)}" y1="${y - 3}" x2="${x(bar.target)}" y2="${y + 21}" stroke="#c0392b" stroke-width="2.5"/>`,
      );
  });
  for (const line of panel.lines ?? []) {
    parts.push(
      `<line x1="${x(line.value)}" y1="${axisTop - 4}" x2="${x(line.value)}" y2="${axisBottom}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="5 3"/>`,
      `<text x="${x(line.value) + 4}" y="${axisTop - 6}" ${font} font-size="10" fill="#c0392b">${escape(line.label)}</text>`,
    );
  }
  const legend = new Map<string, string>();
  for (const bar of panel.bars)
    for (const segment of bar.segments) if (segment.series) legend.set(segment.series, segment.color);
  let legendX = labelWidth;
  for (const [series, color] of legend) {
    parts.push(
      `<rect x="${legendX}" y="${axisBottom + 18}" width="10" height="10" fill="${color}"/>`,
      `<text x="${legendX + 14}" y="${axisBottom + 27}" ${font} font-size="10" fill="#555">${escape(series)}</text>`,
    );
    legendX += 24 + series.length * 6;
  }
  return parts.join('\n');
}

/** Panels stacked vertically in one SVG document, with a title and a footnote. */
export function renderChart(title: string, panels: Panel[], footnote: string): string {
  let top = 40;
  const bodies: string[] = [];
  for (const panel of panels) {
    bodies.push(renderPanel(panel, top));
    top += panelHeight(panel) + 14;
  }
  const height = top + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${panelWidth}" height="${height}" viewBox="0 0 ${panelWidth} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="26" ${font} font-size="17" font-weight="700" fill="#111">${escape(title)}</text>`,
    ...bodies,
    `<text x="12" y="${height - 10}" ${font} font-size="10" fill="#777">${escape(footnote)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
