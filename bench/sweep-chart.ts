/** The --sweep chart: CPU per delivered frame and p99 latency against viewers, one line per server, as SVG. */

export interface SweepPoint {
  viewers: number;
  cpuPerFrameUs: number;
  p99Ms: number;
}

const COLORS: Record<string, string> = { wscam: '#d62728', floor: '#1f77b4', baseline: '#7f7f7f', cfloor: '#2ca02c' };
const PANEL_WIDTH = 420;
const PANEL_HEIGHT = 280;
const MARGIN = { left: 60, right: 20, top: 40, bottom: 50 };

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function panel(
  x0: number,
  title: string,
  unit: string,
  series: Record<string, SweepPoint[]>,
  pick: (point: SweepPoint) => number,
  viewers: number[],
): string {
  const width = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const height = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const minLog = Math.log10(Math.min(...viewers));
  const maxLog = Math.log10(Math.max(...viewers));
  const xOf = (count: number) =>
    x0 + MARGIN.left + (maxLog === minLog ? width / 2 : ((Math.log10(count) - minLog) / (maxLog - minLog)) * width);
  const values = Object.values(series)
    .flatMap((points) => points.map(pick))
    .filter(Number.isFinite);
  const top = niceMax(Math.max(...values, 0));
  const yOf = (value: number) => MARGIN.top + height - (Math.min(value, top) / top) * height;
  const parts: string[] = [];
  parts.push(`<text x="${x0 + PANEL_WIDTH / 2}" y="22" text-anchor="middle" font-weight="bold">${escapeText(title)}</text>`);
  parts.push(`<rect x="${x0 + MARGIN.left}" y="${MARGIN.top}" width="${width}" height="${height}" fill="none" stroke="#ccc"/>`);
  for (let tick = 0; tick <= 4; tick += 1) {
    const value = (top * tick) / 4;
    const y = yOf(value);
    parts.push(`<line x1="${x0 + MARGIN.left}" x2="${x0 + MARGIN.left + width}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 + MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${Number(value.toPrecision(3))}</text>`);
  }
  for (const count of viewers) {
    parts.push(`<text x="${xOf(count)}" y="${MARGIN.top + height + 18}" text-anchor="middle">${count}</text>`);
  }
  parts.push(`<text x="${x0 + MARGIN.left + width / 2}" y="${PANEL_HEIGHT - 10}" text-anchor="middle">fast viewers (log scale)</text>`);
  parts.push(
    `<text transform="translate(${x0 + 14} ${MARGIN.top + height / 2}) rotate(-90)" text-anchor="middle">${escapeText(unit)}</text>`,
  );
  for (const [name, points] of Object.entries(series)) {
    const drawn = points.filter((point) => Number.isFinite(pick(point)));
    if (drawn.length === 0) continue;
    const color = COLORS[name] ?? '#000';
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${drawn.map((point) => `${xOf(point.viewers).toFixed(1)},${yOf(pick(point)).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const point of drawn)
      parts.push(`<circle cx="${xOf(point.viewers).toFixed(1)}" cy="${yOf(pick(point)).toFixed(1)}" r="3" fill="${color}"/>`);
  }
  return parts.join('\n');
}

export function sweepChartSvg(title: string, series: Record<string, SweepPoint[]>, viewers: number[]): string {
  const width = PANEL_WIDTH * 2;
  const legendY = PANEL_HEIGHT + 10;
  const legend = Object.keys(series)
    .map((name, index) => {
      const x = 60 + index * 150;
      return `<rect x="${x}" y="${legendY}" width="14" height="14" fill="${COLORS[name] ?? '#000'}"/><text x="${x + 20}" y="${legendY + 12}">${escapeText(name)}</text>`;
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${PANEL_HEIGHT + 60}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    panel(0, 'server CPU per delivered frame', 'µs per frame', series, (point) => point.cpuPerFrameUs, viewers),
    panel(PANEL_WIDTH, 'video latency p99', 'ms', series, (point) => point.p99Ms, viewers),
    legend,
    `<text x="${width - 10}" y="${PANEL_HEIGHT + 50}" text-anchor="end" fill="#666">${escapeText(title)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
