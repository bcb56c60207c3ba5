import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../test/e2e/harness';
import { runChaos } from './run';
import { runSentinelScenario } from './sentinelRun';
import { runSentinelN8nScenario } from './sentinelN8n';

/** `npm run chaos`: the Sentinel failover, then the queue-mode chaos run; both into bench/results/chaos.json. */
export async function main(argv: string[]): Promise<number> {
	const opt = (name: string, fallback: number) => {
		const at = argv.indexOf(`--${name}`);
		return at >= 0 ? Number(argv[at + 1]) : fallback;
	};
	const out =
		argv.indexOf('--out') >= 0
			? path.resolve(argv[argv.indexOf('--out') + 1])
			: path.join(REPO_ROOT, 'bench', 'results', 'chaos.json');
	const say = (line: string) => process.stdout.write(`${line}\n`);
	const machine = {
		cpus: os.cpus().length,
		load_at_start: os.loadavg().map((l) => Math.round(l * 10) / 10),
		when: new Date().toISOString(),
	};
	// A part left out (--no-sentinel, --no-queue) keeps its figures of the last run that had it.
	const previous = fs.existsSync(out)
		? (JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>)
		: {};
	const result: Record<string, unknown> = { ...previous, machine };
	const write = () => fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
	if (!argv.includes('--no-sentinel')) {
		say('Sentinel failover: primary + replica + 3 Sentinels, SIGKILL of the primary mid-stream …');
		result.sentinel = await runSentinelScenario({ log: say });
		say(JSON.stringify(result.sentinel));
		write();
	}
	if (!argv.includes('--no-sentinel-n8n')) {
		say(
			'Sentinel failover through n8n: real-time template + receiver on the Sentinels, SIGKILL of the primary …',
		);
		const n8nFigures = await runSentinelN8nScenario({ log: say });
		result.sentinel_n8n = n8nFigures;
		say(
			JSON.stringify({
				failover_s: n8nFigures.failover_s,
				lost_after_failover: n8nFigures.lost_after_failover,
				mismatched_skus: n8nFigures.mismatched_skus,
			}),
		);
		write();
	}
	if (!argv.includes('--no-queue')) {
		say('Queue-mode chaos run …');
		const figures = await runChaos({
			events: opt('events', 10_000),
			skus: opt('skus', 300),
			shopifyOutageMs: opt('outage', 30) * 1000,
			faults: !argv.includes('--no-faults'),
			minStreamSeconds: opt('min-stream', 0),
			log: say,
		});
		result.queue = figures;
		// The headline figures also stand at the top level, where a reader of the results looks first.
		result.mismatched_skus = figures.mismatched_skus;
		result.missing_events = figures.missing_events;
		result.double_applied = figures.double_applied;
		result.events_sent = figures.events_sent;
		result.converge_s = figures.converge_s;
		(result.machine as Record<string, unknown>).load_at_end = os
			.loadavg()
			.map((l) => Math.round(l * 10) / 10);
		write();
		say(
			JSON.stringify({
				mismatched_skus: figures.mismatched_skus,
				missing_events: figures.missing_events,
				superseded_events: figures.superseded_events,
				double_applied: figures.double_applied,
				converge_s: figures.converge_s,
			}),
		);
		return figures.mismatched_skus === 0 &&
			figures.missing_events === 0 &&
			figures.double_applied === 0
			? 0
			: 1;
	}
	return 0;
}
