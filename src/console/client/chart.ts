import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { FreshnessSeries } from '../freshness';
import { duration, h, table, type Child } from './dom';

export interface ChartLine {
  label: string;
  stroke: string;
  dash?: number[];
  values: (number | null)[];
}

export interface TimeChart {
  caption: string;
  /** Unix seconds. */
  times: number[];
  lines: ChartLine[];
  /** A value as the y axis and the legend show it. */
  format: (value: number | null) => string;
  /** The same figures for anyone who cannot see the chart; `rows` empty says `empty` instead. */
  figures: { label: string; head: string[]; rows: Child[][]; empty: string };
}

/** Lines over time, drawn by uPlot (bundled, no CDN), with the figures in a table after it. */
export function timeChart(chart: TimeChart, width: number): HTMLElement {
  const holder = h('div', {
    role: 'img',
    'aria-label': `${chart.caption}. The table after the chart has the figures.`,
  });
  new uPlot(
    {
      width,
      height: 220,
      scales: { x: { time: true } },
      series: [
        {},
        ...chart.lines.map((line) => ({
          label: line.label,
          stroke: line.stroke,
          width: 2,
          ...(line.dash ? { dash: line.dash } : {}),
          points: { show: true, size: 5 },
          value: (_plot: uPlot, value: number | null) => chart.format(value),
        })),
      ],
      axes: [{}, { values: (_plot, ticks) => ticks.map((tick) => chart.format(tick)), size: 60 }],
      legend: { live: false },
    },
    [chart.times, ...chart.lines.map((line) => line.values)],
    holder,
  );
  const { figures } = chart;
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', {}, chart.caption),
    holder,
    h(
      'details',
      {},
      h('summary', {}, 'The figures'),
      figures.rows.length === 0
        ? h('p', {}, figures.empty)
        : table(figures.label, figures.head, figures.rows),
    ),
  );
}

/** Freshness p50/p95 per direction over time. */
export function freshnessChart(series: FreshnessSeries, width: number): HTMLElement {
  const lines = [
    { label: 'QuickBooks → CRM p50', stroke: '#0b5cad', values: series.qboToCrm.p50 },
    { label: 'QuickBooks → CRM p95', stroke: '#0b5cad', dash: [6, 4], values: series.qboToCrm.p95 },
    { label: 'CRM → QuickBooks p50', stroke: '#a3370f', values: series.crmToQbo.p50 },
    { label: 'CRM → QuickBooks p95', stroke: '#a3370f', dash: [6, 4], values: series.crmToQbo.p95 },
  ];
  const rows = series.times
    .map((time, index) => ({ time, index }))
    .filter(({ index }) => lines.some((line) => line.values[index] !== null))
    .map(({ time, index }) => [
      new Date(time * 1000).toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit' }),
      ...lines.map((line) => duration(line.values[index])),
    ]);
  return timeChart(
    {
      caption: 'Freshness per hour, last 24 hours: how long a change took to reach the other side',
      times: series.times,
      lines,
      format: duration,
      figures: {
        label: 'Freshness per hour',
        head: ['Hour', ...lines.map((line) => line.label)],
        rows,
        empty: 'No changes in the last 24 hours.',
      },
    },
    width,
  );
}

/** As wide as the page's content allows, between 240 and 760 px. */
export function chartWidth(): number {
  const main = document.getElementById('main');
  return Math.max(240, Math.min(760, (main?.clientWidth ?? 760) - 48));
}
