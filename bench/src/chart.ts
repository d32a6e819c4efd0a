// A small SVG line chart, written by hand so the report needs no plotting library or browser:
// offered rate (log scale) against end-to-end latency (log scale), p99 solid and p50 dashed.

export interface Series {
  name: string;
  points: { rate: number; p50: number; p99: number }[];
}

const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { left: 70, right: 170, top: 30, bottom: 50 };
const COLOURS = ['#1b9e77', '#7570b3', '#d95f02', '#e7298a'];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function decades(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(min)); exponent <= Math.ceil(Math.log10(max)); exponent += 1) {
    for (const mantissa of [1, 2, 5]) {
      const value = mantissa * 10 ** exponent;
      if (value >= min && value <= max) ticks.push(value);
    }
  }
  return ticks;
}

/** The chart as an SVG document; `limitMs` draws the capacity search's latency limit. */
export function latencyChart(series: Series[], limitMs: number): string {
  const points = series.flatMap((entry) => entry.points).filter((point) => point.p50 > 0 && point.p99 > 0);
  if (points.length === 0)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="60"><text x="10" y="30">no data</text></svg>\n`;
  const rateMin = Math.min(...points.map((point) => point.rate)) / 1.2;
  const rateMax = Math.max(...points.map((point) => point.rate)) * 1.2;
  const latencyMin = Math.max(0.1, Math.min(...points.map((point) => point.p50)) / 1.5);
  const latencyMax = Math.max(limitMs, ...points.map((point) => point.p99)) * 1.5;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (rate: number) =>
    MARGIN.left + (Math.log(rate / rateMin) / Math.log(rateMax / rateMin)) * plotWidth;
  const y = (ms: number) =>
    MARGIN.top + plotHeight - (Math.log(ms / latencyMin) / Math.log(latencyMax / latencyMin)) * plotHeight;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  for (const tick of decades(latencyMin, latencyMax)) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="#e5e5e5"/>`,
    );
    out.push(`<text x="${MARGIN.left - 6}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${tick}</text>`);
  }
  for (const tick of decades(rateMin, rateMax)) {
    out.push(
      `<line x1="${x(tick).toFixed(1)}" x2="${x(tick).toFixed(1)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#e5e5e5"/>`,
    );
    out.push(
      `<text x="${x(tick).toFixed(1)}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${tick}</text>`,
    );
  }
  out.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(limitMs).toFixed(1)}" y2="${y(limitMs).toFixed(1)}" stroke="#999" stroke-dasharray="2 4"/>`,
  );
  out.push(
    `<text x="${MARGIN.left + plotWidth - 4}" y="${(y(limitMs) - 4).toFixed(1)}" text-anchor="end" fill="#666">${limitMs} ms</text>`,
  );
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`,
  );
  out.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 10}" text-anchor="middle">offered rate (messages/s, log scale)</text>`,
  );
  out.push(
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">end-to-end latency (ms, log scale)</text>`,
  );
  series.forEach((entry, index) => {
    const colour = COLOURS[index % COLOURS.length]!;
    const valid = entry.points.filter((point) => point.p50 > 0 && point.p99 > 0);
    const path = (pick: (point: Series['points'][number]) => number) =>
      valid
        .map((point, i) => `${i ? 'L' : 'M'}${x(point.rate).toFixed(1)},${y(pick(point)).toFixed(1)}`)
        .join(' ');
    out.push(`<path d="${path((point) => point.p99)}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    out.push(
      `<path d="${path((point) => point.p50)}" fill="none" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
    );
    for (const point of valid) {
      out.push(
        `<circle cx="${x(point.rate).toFixed(1)}" cy="${y(point.p99).toFixed(1)}" r="3" fill="${colour}"/>`,
      );
    }
    const legendY = MARGIN.top + 10 + index * 20;
    out.push(
      `<line x1="${WIDTH - MARGIN.right + 15}" x2="${WIDTH - MARGIN.right + 40}" y1="${legendY}" y2="${legendY}" stroke="${colour}" stroke-width="2"/>`,
    );
    out.push(`<text x="${WIDTH - MARGIN.right + 46}" y="${legendY + 4}">${escape(entry.name)}</text>`);
  });
  const noteY = MARGIN.top + 10 + series.length * 20 + 10;
  out.push(`<text x="${WIDTH - MARGIN.right + 15}" y="${noteY}" fill="#555">solid: p99, dashed: p50</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
