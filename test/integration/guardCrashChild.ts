/**
 * Child process of guardCrash.test.ts: one n8n "run" of the Guard that claims (and, in claimCommit mode,
 * commits) then hangs, as if the rest of the workflow were still working, until the parent kills it.
 * Argument: JSON { mode, prefix, ids, claimTtl, commitTtl }.
 */
import type { IDataObject } from 'n8n-workflow';
import { executeGuard } from '../../nodes/InventoryGuard/actions/router';
import { credential, guardContext } from './guardHarness';

async function main() {
	const args = JSON.parse(process.argv[2]) as {
		mode: string;
		prefix: string;
		ids: string[];
		claimTtl: number;
		commitTtl: number;
	};
	const cred = credential({ keyPrefix: args.prefix });
	const items = args.ids.map((id) => ({ id, version: 7 }));
	const key = (j: IDataObject) => `${j.id}@${j.version}`;
	const claimed = await executeGuard(
		guardContext({
			items,
			params: { operation: 'deduplicate', key, claimTtl: args.claimTtl },
			credential: cred,
			executionId: `child-${process.pid}`,
		}),
	);
	let committed = 0;
	if (args.mode === 'claimCommit') {
		const out = await executeGuard(
			guardContext({
				items: claimed[0],
				params: { operation: 'commit', key, commitTtl: args.commitTtl },
				credential: cred,
				executionId: `child-${process.pid}`,
			}),
		);
		committed = out[0].length;
	}
	process.stdout.write(
		`READY ${JSON.stringify({ new: claimed[0].length, duplicate: claimed[1].length, committed })}\n`,
	);
	// Hang like a run still in progress; the parent kills this process (SIGKILL: no cleanup runs).
	setInterval(() => undefined, 60_000);
}

main().catch((error) => {
	process.stderr.write(String(error?.stack ?? error));
	process.exit(1);
});
