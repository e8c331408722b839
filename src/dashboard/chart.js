// Cases per day by outcome as a small stacked-bar SVG: no chart library to vendor for thirty bars.
import { el, svg } from './dom.js';

const SERIES = [
  ['completed', 'Completed'],
  ['failed', 'Failed'],
  ['open', 'Open'],
];

/** `perDay`: [{ day: 'YYYY-MM-DD', completed, failed, open }], oldest first. */
export function renderChart(container, perDay) {
  const width = 300;
  const height = 110;
  const bottom = 14;
  const max = Math.max(1, ...perDay.map((d) => d.completed + d.failed + d.open));
  const step = width / Math.max(1, perDay.length);
  const total = perDay.reduce((sum, d) => sum + d.completed + d.failed + d.open, 0);
  const sums = Object.fromEntries(SERIES.map(([key]) => [key, perDay.reduce((sum, d) => sum + d[key], 0)]));
  const summary = `${total} cases created in the last ${perDay.length} days: ${sums.completed} completed, ${sums.failed} failed, ${sums.open} open`;
  const bars = perDay.map((d, i) => {
    let y = height - bottom;
    const parts = SERIES.filter(([key]) => d[key] > 0).map(([key]) => {
      const h = ((height - bottom - 4) * d[key]) / max;
      y -= h;
      return svg('rect', { class: `bar-${key}`, x: i * step + 1, y, width: Math.max(1, step - 2), height: h });
    });
    const label = `${d.day}: ${d.completed} completed, ${d.failed} failed, ${d.open} open`;
    return svg('g', { 'data-day': d.day }, svg('title', {}, label), ...parts);
  });
  const first = perDay[0]?.day ?? '';
  const last = perDay.at(-1)?.day ?? '';
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': summary, class: 'chart' },
    svg('line', { x1: 0, x2: width, y1: height - bottom, y2: height - bottom, class: 'axis' }),
    ...bars,
    svg('text', { x: 0, y: height - 2, class: 'tick' }, first.slice(5)),
    svg('text', { x: width, y: height - 2, class: 'tick end' }, last.slice(5)),
    svg('text', { x: 0, y: 10, class: 'tick' }, `max ${max}/day`),
  );
  const legend = el(
    'ul',
    { class: 'legend' },
    SERIES.map(([key, name]) => el('li', {}, el('span', { class: `swatch bar-${key}` }), `${name} ${sums[key]}`)),
  );
  container.replaceChildren(chart, legend);
}
