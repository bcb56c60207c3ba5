import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';

/**
 * Redis plumbing every node's batches use: pipelines that throw their first error, chunks of items per script
 * call, and the mapping of a script's reply codes onto the enum that mirrors its header (style.md "BullMQ":
 * negative integers, a TS enum, a typed error). The Guard and the Ledger both build on these.
 */

/** Runs a pipeline and returns its replies, throwing the first error (a connection error fails the batch). */
export async function execAll(pipeline: ChainableCommander): Promise<unknown[]> {
	const results = await pipeline.exec();
	if (!results) throw new Error('Redis discarded the pipeline');
	return results.map(([error, reply]) => {
		if (error) throw error;
		return reply;
	});
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
	if (!Number.isInteger(size) || size < 1)
		throw new RangeError('chunk size must be a positive integer');
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
	return out;
}

/**
 * One script call per chunk of `size` items: a direct call for one chunk, a pipeline (one round trip) for
 * more. `call` gets the target, the chunk and the index of its first item (to pick matching per-item
 * arguments); the replies come back one per chunk, in order. No items: no call.
 */
export async function callPerChunk<T>(
	redis: Redis,
	items: readonly T[],
	size: number,
	call: (target: Redis | ChainableCommander, part: T[], start: number) => unknown,
): Promise<unknown[][]> {
	if (items.length === 0) return [];
	const parts = chunk(items, size);
	if (parts.length === 1) return [(await call(redis, parts[0], 0)) as unknown[]];
	const pipeline = redis.pipeline();
	parts.forEach((part, n) => call(pipeline, part, n * size));
	return (await execAll(pipeline)) as unknown[][];
}

/** A reply Redis gave that no script of ours returns: a bug or a foreign script under our command name. */
export class UnexpectedReplyError extends Error {
	constructor(
		readonly script: string,
		readonly reply: unknown,
	) {
		super(`Unexpected reply from the ${script} script: ${JSON.stringify(reply)?.slice(0, 200)}`);
	}
}

/**
 * The reply-code reader of one numeric enum (a script family's codes): `toCode(script, reply)` gives the
 * enum member, or throws UnexpectedReplyError naming the script for anything the enum does not list.
 */
export function codeMapper<Code extends number>(
	codes: Record<string, string | number>,
): (script: string, value: unknown) => Code {
	const known = new Set<number>(
		Object.values(codes).filter((v): v is number => typeof v === 'number'),
	);
	return (script, value) => {
		const n = Number(value);
		if (!known.has(n)) throw new UnexpectedReplyError(script, value);
		return n as Code;
	};
}
