/**
 * The live line while the stream plays: webhook requests sent, their rate, the sync lag (event received → the
 * channel confirmed the write, p50/p99, from the Ledger's Health figures), how many SKUs both channels show as
 * the ledger computes, and dead letters. On a terminal it is redrawn in place; otherwise a line every 5 s.
 */
import type Redis from 'ioredis';
import { readHealth } from '../nodes/InventoryLedger/ledger/health';

export interface ProgressSample {
	sent: number;
	perSecond: number;
	lagP50: number | null;
	lagP99: number | null;
	agreementPct: number;
	deadLetters: number;
}

/** Lag over `sinceMs` (the stream's start) until now, dead letters, and the inbox's backlog. */
export async function lagAndDeadLetters(
	redis: Redis,
	prefix: string,
	sinceMs: number,
): Promise<{
	p50: number | null;
	p99: number | null;
	deadLetters: number;
	inboxBacklog: number;
}> {
	const health = await readHealth(redis, prefix, {
		lagWindowMs: Math.max(1000, Date.now() - sinceMs + 1000),
	});
	const channels = Object.values(health.channels);
	const max = (pick: (c: (typeof channels)[number]) => number | null) =>
		channels.reduce<number | null>((m, c) => {
			const v = pick(c);
			return v === null ? m : Math.max(m ?? 0, v);
		}, null);
	return {
		p50: max((c) => c.lagMs.p50),
		p99: max((c) => c.lagMs.p99),
		deadLetters: health.deadLetters.total,
		inboxBacklog: Number(health.inbox.backlog ?? 0),
	};
}

const ms = (v: number | null) =>
	v === null ? '–' : v >= 10_000 ? `${(v / 1000).toFixed(0)} s` : `${Math.round(v)} ms`;

export function formatSample(s: ProgressSample, phase: string): string {
	return (
		`${phase.padEnd(10)} sent ${String(s.sent).padStart(5)} | ${s.perSecond.toFixed(1).padStart(5)} ev/s | ` +
		`lag p50 ${ms(s.lagP50)} p99 ${ms(s.lagP99)} | agreement ${s.agreementPct.toFixed(1)} % | ` +
		`dead letters ${s.deadLetters}`
	);
}

export class LiveLine {
	private last = '';
	private lastPrinted = 0;
	constructor(
		private readonly write: (text: string) => void,
		private readonly tty: boolean,
	) {}

	show(line: string): void {
		if (this.tty) {
			this.write(`\r${line.padEnd(this.last.length)}`);
			this.last = line;
			return;
		}
		if (Date.now() - this.lastPrinted >= 5000) {
			this.write(`${line}\n`);
			this.lastPrinted = Date.now();
		}
		this.last = line;
	}

	/** Ends the live line (prints the last state once more on a non-terminal). */
	done(): void {
		if (this.tty && this.last) this.write('\n');
		else if (!this.tty && this.last) this.write(`${this.last}\n`);
		this.last = '';
	}
}
