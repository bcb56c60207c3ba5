import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes bench/results/<name>.json with the machine and the settings the figures were taken under. */
export function writeResults(name: string, figures: Record<string, unknown>): string {
	const dir = join(__dirname, 'results');
	mkdirSync(dir, { recursive: true });
	const file = join(dir, `${name}.json`);
	const os = require('node:os') as typeof import('node:os');
	const body = {
		...figures,
		measured_at: new Date().toISOString(),
		machine: {
			cpus: os.cpus().length,
			cpu_model: os.cpus()[0]?.model,
			node: process.version,
			total_mem_gb: Math.round(os.totalmem() / 2 ** 30),
		},
	};
	writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
	return file;
}

export function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[i];
}

export function table(rows: Array<Record<string, unknown>>): void {
	console.table(rows);
}
