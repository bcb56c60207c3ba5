import type { ICredentialDataDecryptedObject, INode } from 'n8n-workflow';

/**
 * Decrypted credentials kept for a few seconds per credential id, for the webhook receipt path.
 *
 * n8n 2.41.1 decrypts a credential on every `getCredentials()` call (a database read, AES) and, where there is
 * no run data — a webhook — resolves its expressions in a freshly acquired expression isolate
 * (credentials-helper.js `applyDefaultsAndOverwrites`). With the default `vm` engine that isolate costs about
 * 45 ms of CPU here: a webhook that reads two credentials cost three isolates instead of n8n's own one, and its
 * receipt rate fell to a third of n8n's floor (bench/inbox.ts).
 *
 * Read through this cache, a credential is decrypted about once per CREDENTIAL_CACHE_MS per process. An entry
 * older than that is still served while one background read refreshes it (so no request waits for the
 * isolate), but never when older than CREDENTIAL_MAX_STALE_MS. A changed credential (a rotated webhook secret,
 * a new Redis password) therefore applies within about CREDENTIAL_CACHE_MS. Failed reads are not kept (a
 * failed refresh drops the entry: the next request reads, and fails, itself). Values live only in this
 * process's memory, as n8n's own decrypted credentials do during a run.
 */

export const CREDENTIAL_CACHE_MS = 10_000;
export const CREDENTIAL_MAX_STALE_MS = 60_000;

interface CredentialReader {
	getNode(): INode;
	getCredentials<T extends object = ICredentialDataDecryptedObject>(type: string): Promise<T>;
}

interface Entry {
	at: number;
	value: Promise<ICredentialDataDecryptedObject>;
	refreshing: boolean;
}

const cache = new Map<string, Entry>();

function read(ctx: CredentialReader, key: string, type: string, nowMs: number): Entry {
	const entry: Entry = {
		at: nowMs,
		value: ctx.getCredentials<ICredentialDataDecryptedObject>(type),
		refreshing: false,
	};
	cache.set(key, entry);
	entry.value.catch(() => {
		if (cache.get(key) === entry) cache.delete(key);
	});
	return entry;
}

export async function cachedCredentials(
	ctx: CredentialReader,
	type: string,
	nowMs: number = Date.now(),
): Promise<ICredentialDataDecryptedObject> {
	const id = ctx.getNode().credentials?.[type]?.id;
	if (!id) return await ctx.getCredentials<ICredentialDataDecryptedObject>(type);
	const key = `${type}\u0000${id}`;
	const hit = cache.get(key);
	const age = hit ? nowMs - hit.at : Infinity;
	if (hit && age >= 0 && age < CREDENTIAL_CACHE_MS) return await hit.value;
	if (hit && age >= 0 && age < CREDENTIAL_MAX_STALE_MS) {
		if (!hit.refreshing) {
			hit.refreshing = true;
			const fresh = ctx.getCredentials<ICredentialDataDecryptedObject>(type);
			fresh.then(
				() => {
					if (cache.get(key) === hit)
						cache.set(key, { at: nowMs, value: fresh, refreshing: false });
				},
				() => {
					if (cache.get(key) === hit) cache.delete(key);
				},
			);
		}
		return await hit.value;
	}
	// Nothing usable cached: one read, shared by every request that arrives while it is under way.
	return await read(ctx, key, type, nowMs).value;
}

/** Forgets every cached credential (tests). */
export function clearCredentialCache(): void {
	cache.clear();
}
