#!/usr/bin/env node
// `npm run demo [-- options]`: the package doing its job in a real n8n 2.41.1 on two simulated shops
// (demo/main.ts; TypeScript through ts-node, transpile-only, as the benchmarks run).
const path = require('node:path');

const usage = `usage: npm run demo -- [--exit] [--small] [--redis <url>] [--engine legacy|vm] [--dist <folder>] [--seed <n>] [--outage <seconds>] [--screenshot <file.png>]
  --exit        stop everything after the verdict (default: keep n8n running until Ctrl-C)
  --small       a short stream (about 600 webhook requests)
  --redis       a running Redis (default INVSYNC_REDIS_URL, else a private redis-server on a free port)
  --engine      n8n's expression engine (default legacy; see the output for why)
  --dist        a build of the package to load (default: npm run build, then dist/)
  --outage      how long WooCommerce's API is down halfway (default 15 s with --small, else 30 s)
  --screenshot  save the real-time template in the editor as a PNG (headless Chromium, installed on demand)`;

function parse(argv) {
	const options = {};
	for (let i = 0; i < argv.length; i++) {
		const [flag, inline] = argv[i].split(/=(.*)/s);
		const value = () => inline ?? argv[++i];
		if (flag === '--exit') options.exit = true;
		else if (flag === '--small') options.small = true;
		else if (flag === '--redis') options.redisUrl = value();
		else if (flag === '--engine') options.engine = value();
		else if (flag === '--dist') options.dist = value();
		else if (flag === '--seed') options.seed = Number(value());
		else if (flag === '--outage') options.outageMs = 1000 * Number(value());
		else if (flag === '--screenshot') options.screenshot = value();
		else if (flag === '--help' || flag === '-h') {
			console.log(usage);
			process.exit(0);
		} else {
			console.error(`unknown option ${argv[i]}\n${usage}`);
			process.exit(2);
		}
	}
	if (options.engine && !['legacy', 'vm'].includes(options.engine)) {
		console.error(`--engine must be legacy or vm\n${usage}`);
		process.exit(2);
	}
	return options;
}

const options = parse(process.argv.slice(2));
// A fresh clone: the project's own dependencies first (ts-node, ioredis, the build tools).
try {
	require.resolve('ts-node');
} catch {
	console.log("Installing the project's dependencies (npm ci) …");
	const r = require('node:child_process').spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
		cwd: path.join(__dirname, '..'),
		stdio: 'inherit',
	});
	if (r.status !== 0) process.exit(r.status ?? 1);
}
require('ts-node').register({
	transpileOnly: true,
	project: path.join(__dirname, '..', 'tsconfig.json'),
});
const { runDemo } = require('./main.ts');
const { DemoSetupError } = require('./redis.ts');
runDemo(options).then(
	(result) => process.exit(result.verdict === 'all SKUs equal' ? 0 : 1),
	(error) => {
		console.error(error instanceof DemoSetupError ? error.message : error);
		process.exit(1);
	},
);
