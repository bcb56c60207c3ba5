import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';

/**
 * Lua scripts as files (style.md "BullMQ"): `<verb><Object>-<N>.lua`, N = the number of KEYS; no suffix when
 * the key count varies per call (the caller passes it first). Each folder of scripts is read once per
 * process and registered with `defineCommand` once per client, under `<namespace><VerbObject>` (e.g.
 * `guardClaimKeys`), so two nodes' scripts never share a command name.
 *
 * ioredis sends EVAL the first time a script runs on a socket and EVALSHA afterwards, and re-sends on
 * NOSCRIPT (SCRIPT FLUSH, a restarted Redis, a failover): scripts survive all three without our help.
 * Batches of script calls go in `pipeline()`, never `multi()` (MULTI has no NOSCRIPT fallback).
 */

export interface LuaScript {
	/** Command name registered on the client: namespace + capitalised file name, e.g. `guardAcquireLock`. */
	readonly command: string;
	/** File name without `-<N>.lua`, e.g. `acquireLock`. */
	readonly name: string;
	/** KEYS count from the file name; undefined when the caller passes it (variable key count). */
	readonly numberOfKeys: number | undefined;
	readonly lua: string;
}

const FILE_SHAPE = /^([a-z][A-Za-z0-9]*)(?:-(\d+))?\.lua$/;

/** Parses a script file name; throws on names that do not follow `<verb><Object>[-<N>].lua`. */
export function parseScriptFileName(file: string): {
	name: string;
	numberOfKeys: number | undefined;
} {
	const match = FILE_SHAPE.exec(file);
	if (!match) throw new Error(`Lua script file '${file}' must be named <verb><Object>[-<N>].lua`);
	return { name: match[1], numberOfKeys: match[2] === undefined ? undefined : Number(match[2]) };
}

export function commandName(namespace: string, name: string): string {
	return namespace + name.charAt(0).toUpperCase() + name.slice(1);
}

const folders = new Map<string, LuaScript[]>();

/** Every `.lua` file of a folder, read once per process. */
export function readScripts(dir: string, namespace: string): LuaScript[] {
	const id = `${namespace}\u0000${dir}`;
	let scripts = folders.get(id);
	if (!scripts) {
		scripts = readdirSync(dir)
			.filter((file) => file.endsWith('.lua'))
			.sort()
			.map((file) => {
				const { name, numberOfKeys } = parseScriptFileName(file);
				return {
					command: commandName(namespace, name),
					name,
					numberOfKeys,
					lua: readFileSync(join(dir, file), 'utf8'),
				};
			});
		if (scripts.length === 0) throw new Error(`No Lua scripts in ${dir}`);
		folders.set(id, scripts);
	}
	return scripts;
}

const defined = new WeakMap<Redis, Set<string>>();

/**
 * Registers the folder's scripts on this client (once per client and folder) and returns the client.
 * Cheap to call on every execution: after the first call it is a lookup.
 */
export function loadScripts(redis: Redis, dir: string, namespace: string): Redis {
	let done = defined.get(redis);
	if (!done) {
		done = new Set();
		defined.set(redis, done);
	}
	const id = `${namespace}\u0000${dir}`;
	if (done.has(id)) return redis;
	for (const script of readScripts(dir, namespace)) {
		redis.defineCommand(script.command, { lua: script.lua, numberOfKeys: script.numberOfKeys });
	}
	done.add(id);
	return redis;
}
