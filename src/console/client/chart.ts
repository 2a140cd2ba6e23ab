import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { FreshnessSeries } from '../freshness';
import { duration, h, table } from './dom';

/**
 * Freshness p50/p95 per direction over time, drawn by uPlot (bundled, no CDN), with the same figures in a table
 * for anyone who cannot see the chart.
 */
export function freshnessChart(series: FreshnessSeries, width: number): HTMLElement {
  const caption = 'Freshness per hour, last 24 hours: how long a change took to reach the other side';
  const holder = h('div', {
    role: 'img',
    'aria-label': `${caption}. The table after the chart has the figures.`,
  });
  const lines = [
    { label: 'QuickBooks → CRM p50', stroke: '#0b5cad', values: series.qboToCrm.p50 },
    { label: 'QuickBooks → CRM p95', stroke: '#0b5cad', dash: [6, 4], values: series.qboToCrm.p95 },
    { label: 'CRM → QuickBooks p50', stroke: '#a3370f', values: series.crmToQbo.p50 },
    { label: 'CRM → QuickBooks p95', stroke: '#a3370f', dash: [6, 4], values: series.crmToQbo.p95 },
  ];
  new uPlot(
    {
      width,
      height: 220,
      scales: { x: { time: true } },
      series: [
        {},
        ...lines.map((line) => ({
          label: line.label,
          stroke: line.stroke,
          width: 2,
          ...(line.dash ? { dash: line.dash } : {}),
          points: { show: true, size: 5 },
          value: (_plot: uPlot, value: number | null) => duration(value),
        })),
      ],
      axes: [{}, { values: (_plot, ticks) => ticks.map((tick) => duration(tick)), size: 60 }],
      legend: { live: false },
    },
    [series.times, ...lines.map((line) => line.values)],
    holder,
  );
  const rows = series.times
    .map((time, index) => ({ time, index }))
    .filter(({ index }) => lines.some((line) => line.values[index] !== null))
    .map(({ time, index }) => [
      new Date(time * 1000).toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit' }),
      ...lines.map((line) => duration(line.values[index])),
    ]);
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', {}, caption),
    holder,
    h(
      'details',
      {},
      h('summary', {}, 'The figures'),
      rows.length === 0
        ? h('p', {}, 'No changes in the last 24 hours.')
        : table('Freshness per hour', ['Hour', ...lines.map((line) => line.label)], rows),
    ),
  );
}
