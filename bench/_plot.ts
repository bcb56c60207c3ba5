/**
 * A small SVG of latency over the flash sale (bench/flashsale.ts → docs/flashsale-latency.svg): one series per
 * subject, each order a dot at (second it was placed, latency), log-scaled latency axis, no dependencies.
 */
export interface Series {
	name: string;
	points: Array<[number, number]>;
}

const COLOURS = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd'];

export function plotLatency(
	series: Series[],
	title = 'Flash sale: order → every shop shows it',
): string {
	const W = 760;
	const H = 420;
	const left = 70;
	const right = 20;
	const top = 40;
	const bottom = 50;
	const all = series.flatMap((s) => s.points);
	const maxX = Math.max(1, ...all.map((p) => p[0]));
	const maxY = Math.max(100, ...all.map((p) => p[1]));
	const minY = 10;
	const lg = (v: number) => Math.log10(Math.max(minY, v));
	const x = (v: number) => left + (v / maxX) * (W - left - right);
	const y = (v: number) =>
		H - bottom - ((lg(v) - lg(minY)) / (lg(maxY) - lg(minY))) * (H - top - bottom);
	const out: string[] = [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
		`<rect width="${W}" height="${H}" fill="white"/>`,
		`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
		`<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="black"/>`,
		`<line x1="${left}" y1="${top}" x2="${left}" y2="${H - bottom}" stroke="black"/>`,
		`<text x="${W / 2}" y="${H - 12}" text-anchor="middle">second of the sale (order placed)</text>`,
		`<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">latency (ms, log)</text>`,
	];
	for (let d = 1; d <= 6; d++) {
		const v = 10 ** d;
		if (v > maxY * 1.01) break;
		out.push(
			`<line x1="${left}" y1="${y(v)}" x2="${W - right}" y2="${y(v)}" stroke="#ddd"/>`,
			`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toLocaleString('en-US')}</text>`,
		);
	}
	const step = maxX > 30 ? 10 : 5;
	for (let s = 0; s <= maxX; s += step)
		out.push(`<text x="${x(s)}" y="${H - bottom + 16}" text-anchor="middle">${s}</text>`);
	series.forEach((s, i) => {
		const colour = COLOURS[i % COLOURS.length];
		// At most ~1,500 dots per series: every k-th order.
		const k = Math.max(1, Math.ceil(s.points.length / 1500));
		for (let j = 0; j < s.points.length; j += k) {
			const [px, py] = s.points[j];
			out.push(
				`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="1.6" fill="${colour}" fill-opacity="0.5"/>`,
			);
		}
		out.push(
			`<rect x="${W - right - 150}" y="${top + i * 18}" width="10" height="10" fill="${colour}"/>`,
			`<text x="${W - right - 134}" y="${top + i * 18 + 9}">${s.name}</text>`,
		);
	});
	out.push('</svg>');
	return out.join('\n') + '\n';
}
