#!/usr/bin/env node
import Redis from 'ioredis';
import {
	checkRedisPolicy,
	describeRedisError,
	describeTarget,
	redisOptions,
} from '../nodes/shared/redis';
import { describeConfig, loadConfig, ReceiverConfigError, type ReceiverConfig } from './config';
import { startReceiver } from './server';

/**
 * `n8n-nodes-inventory-sync receiver --config receiver.json [--check]`: the Inventory Receiver (server.ts).
 * `--check` validates the configuration and Redis (PING, the noeviction policy) and exits 0 or 1;
 * otherwise it runs until SIGTERM/SIGINT, then closes gracefully and exits 0.
 */

const USAGE = `Usage: n8n-nodes-inventory-sync receiver --config <receiver.json> [--check]

  --config <file>  the receiver's JSON configuration (README "Inventory Receiver")
  --check          validate the configuration and Redis (PING, maxmemory-policy), print what was checked, exit
`;

interface Args {
	config?: string;
	check: boolean;
	help: boolean;
}

function parseArgs(argv: string[]): Args | string {
	const [command, ...rest] = argv;
	if (command === '--help' || command === '-h' || command === undefined) {
		return { check: false, help: true };
	}
	if (command !== 'receiver') return `unknown command '${command}'`;
	const args: Args = { check: false, help: false };
	for (let i = 0; i < rest.length; i++) {
		const a = rest[i];
		if (a === '--check') args.check = true;
		else if (a === '--help' || a === '-h') args.help = true;
		else if (a === '--config') args.config = rest[++i];
		else if (a.startsWith('--config=')) args.config = a.slice('--config='.length);
		else return `unknown argument '${a}'`;
	}
	if (!args.help && !args.config) return '--config <file> is required';
	return args;
}

/** Connects with a throwaway client (no reconnects), PINGs, checks the policy; one line per check. */
async function checkRedis(config: ReceiverConfig, out: (line: string) => void): Promise<boolean> {
	const cred = config.redis;
	const redis = new Redis({ ...redisOptions(cred), retryStrategy: () => null });
	let lastError: Error | undefined;
	redis.on('error', (error: Error) => (lastError = error));
	try {
		await redis.connect().catch((error: unknown) => Promise.reject(lastError ?? error));
		await redis.ping();
		out(`ok    redis: PING answered by ${describeTarget(cred)} (database ${cred.database})`);
		const { persistence } = await checkRedisPolicy(redis, describeTarget(cred));
		out(`ok    redis: maxmemory-policy is noeviction`);
		if (!persistence) {
			out('warn  redis: persistence is off — a Redis restart loses the inbox and ledger');
		}
		return true;
	} catch (error) {
		out(`FAIL  ${describeRedisError(error, cred, redis)}`);
		return false;
	} finally {
		redis.disconnect();
	}
}

async function main(argv: string[]): Promise<number> {
	const args = parseArgs(argv);
	if (typeof args === 'string') {
		process.stderr.write(`${args}\n\n${USAGE}`);
		return 2;
	}
	if (args.help) {
		process.stdout.write(USAGE);
		return 0;
	}
	let config: ReceiverConfig;
	try {
		config = loadConfig(args.config as string);
	} catch (error) {
		if (!(error instanceof ReceiverConfigError)) throw error;
		const line = `FAIL  config: ${error.message}\n`;
		(args.check ? process.stdout : process.stderr).write(line);
		return 1;
	}

	if (args.check) {
		const out = (line: string) => process.stdout.write(`${line}\n`);
		const described = describeConfig(config);
		out(`ok    config: ${args.config}`);
		out(`      listen ${String(described.listen)}, inbox stream '${config.inboxStream}'`);
		out(`      redis ${JSON.stringify(described.redis)}`);
		for (const shop of described.shops as Array<Record<string, string>>) {
			out(
				`      ${shop.platform} ${shop.shop} at ${shop.path}: secret from ${shop.secret}, ` +
					`previous secret from ${shop.previousSecret}`,
			);
		}
		return (await checkRedis(config, out)) ? 0 : 1;
	}

	const receiver = await startReceiver(config);
	await new Promise<void>((resolve) => {
		let signalled = false;
		const stop = (signal: NodeJS.Signals) => {
			if (signalled) {
				// A second signal: the operator wants out now.
				process.exit(1);
			}
			signalled = true;
			process.stdout.write(
				`${JSON.stringify({ time: new Date().toISOString(), event: 'signal', signal })}\n`,
			);
			void receiver.close().then(resolve);
		};
		process.on('SIGTERM', stop);
		process.on('SIGINT', stop);
	});
	return 0;
}

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
		// Everything is closed by now; a handle left open by a dependency must not keep the process up.
		setTimeout(() => process.exit(code), 1_000).unref();
	},
	(error: unknown) => {
		// Not a secret: configuration errors are handled above; this is a bug or a listen failure.
		process.stderr.write(
			`${JSON.stringify({ time: new Date().toISOString(), event: 'fatal', error: error instanceof Error ? error.message : String(error) })}\n`,
		);
		process.exitCode = 1;
	},
);
