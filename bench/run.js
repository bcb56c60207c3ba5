#!/usr/bin/env node
// `npm run bench -- <name>` runs bench/<name>.ts (TypeScript through ts-node, transpile-only) which prints a
// table and writes bench/results/<name>.json. Benchmarks are measurements, not tests: they never fail on a figure.
const path = require('node:path');
const fs = require('node:fs');

const name = process.argv[2];
const available = fs
	.readdirSync(__dirname)
	.filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
	.map((f) => f.slice(0, -3));
// `npm run bench` with no name runs every benchmark in turn and prints one table at the end (issue 20).
if (name && !available.includes(name)) {
	console.error(
		`usage: npm run bench [-- <name>]   (one of: ${available.join(', ') || 'none yet'})`,
	);
	process.exit(2);
}
/** One row per benchmark (or per subject): its `summaryRows(results)` if it has one, else the JSON's numbers. */
function summaryRows(each, mod) {
	const file = path.join(__dirname, 'results', `${each}.json`);
	if (!fs.existsSync(file)) return [{ bench: each, figures: 'no results written' }];
	const results = JSON.parse(fs.readFileSync(file, 'utf8'));
	const rows =
		typeof mod.summaryRows === 'function'
			? mod.summaryRows(results)
			: [Object.fromEntries(Object.entries(results).filter(([, v]) => typeof v === 'number'))];
	return rows.map(({ subject, ...figures }) => ({
		bench: subject ? `${each} ${subject}` : each,
		figures: Object.entries(figures)
			.map(([k, v]) => `${k} ${v}`)
			.join(', '),
	}));
}
require('ts-node').register({
	transpileOnly: true,
	project: path.join(__dirname, '..', 'tsconfig.json'),
});
// The Redis a benchmark uses is the tests' (test/support/globalSetup.js): INVSYNC_TEST_REDIS when given,
// otherwise a private redis-server on a free port, stopped at the end — never a developer's Redis on 6379.
const setup = require('../test/support/globalSetup.js');
const teardown = require('../test/support/globalTeardown.js');
(async () => {
	await setup();
	try {
		if (name) {
			const mod = require(path.join(__dirname, `${name}.ts`));
			if (typeof mod.main === 'function') await mod.main(process.argv.slice(3));
			return;
		}
		const rows = [];
		for (const each of available) {
			console.log(`\n=== ${each} ===`);
			const mod = require(path.join(__dirname, `${each}.ts`));
			try {
				if (typeof mod.main === 'function') await mod.main([]);
				rows.push(...summaryRows(each, mod));
			} catch (error) {
				rows.push({ bench: each, figures: `failed: ${error && error.message}` });
			}
		}
		console.log('\n=== all benchmarks (bench/results/<name>.json) ===');
		console.table(rows);
	} finally {
		await teardown();
	}
})().then(
	() => process.exit(0),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
