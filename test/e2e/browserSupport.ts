/**
 * Headless Chromium for editor checks (/work/shared/n8n-e2e.md "Headless Chromium"). Puppeteer's own browser
 * download comes from a host these machines cannot reach; `@sparticuz/chromium` carries a compressed Chromium
 * inside the npm package, driven with `puppeteer-core`. Both are taken from the repo's node_modules when a
 * devDependency brings them, else from a cache folder outside the repo (installed there once, on demand, with
 * npm's ordinary client), so the repo's own install stays untouched. The browser runs in a Node child process
 * (editorBrowser.mjs): @sparticuz/chromium is an ES module, which Jest's CommonJS module system cannot load.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, e2eCacheDir } from './harness';

const CHROMIUM_PACKAGES = ['@sparticuz/chromium@153', 'puppeteer-core'];

/** The node_modules folder holding @sparticuz/chromium and puppeteer-core (installs them in the cache if absent). */
export function browserModulesDir(): string {
	const repoModules = path.join(REPO_ROOT, 'node_modules');
	const has = (modules: string) =>
		fs.existsSync(path.join(modules, '@sparticuz', 'chromium', 'package.json')) &&
		fs.existsSync(path.join(modules, 'puppeteer-core', 'package.json'));
	if (has(repoModules)) return repoModules;
	const cache = path.join(e2eCacheDir(), 'chromium');
	const modules = path.join(cache, 'node_modules');
	if (!has(modules)) {
		fs.mkdirSync(cache, { recursive: true });
		execFileSync(
			'npm',
			['install', '--prefix', cache, '--no-audit', '--no-fund', ...CHROMIUM_PACKAGES],
			{ stdio: 'ignore', timeout: 180_000 },
		);
	}
	return modules;
}

export interface EditorVisit {
	baseUrl: string;
	email: string;
	password: string;
	workflowId: string;
	/** The node whose panel is opened and read. */
	panelNode: string;
	/** Texts typed into the node picker's search. */
	searches?: string[];
	/** A trigger to start with Execute step (last), and the text the editor must show while it waits. */
	listenNode?: string;
	listenText?: string;
	/** A folder for screenshots (canvas, panel, each search), or none. */
	screenshots?: string;
}

export interface EditorReport {
	canvas: Array<{
		name: string;
		type: string;
		icons: Array<{ src: string; loaded: boolean }>;
		hasSvgIcon: boolean;
		text: string;
	}>;
	panel: { node: string; parameters: string[]; labels: string[]; notInstalled: boolean };
	searches: Record<string, string[]>;
	listening?: { node: string; waiting: boolean; found: boolean; excerpt: string };
}

/** Opens the workflow in headless Chromium as the owner and reports what the editor drew. */
export async function visitEditor(visit: EditorVisit): Promise<EditorReport> {
	if (visit.screenshots) fs.mkdirSync(visit.screenshots, { recursive: true });
	// In the environment, not the command line: a failed run's message repeats the command (and the password).
	const input = JSON.stringify({ ...visit, modules: browserModulesDir() });
	const script = path.join(__dirname, 'editorBrowser.mjs');
	const stdout = await new Promise<string>((resolve, reject) => {
		execFile(
			process.execPath,
			[script],
			{
				timeout: 240_000,
				maxBuffer: 16 * 1024 * 1024,
				env: { ...process.env, INVSYNC_EDITOR_VISIT: input },
			},
			(error, out, err) =>
				error ? reject(new Error(`${error.message}\n${err.slice(-3000)}`)) : resolve(out),
		);
	});
	const line = stdout.trim().split('\n').pop() ?? '';
	return JSON.parse(line) as EditorReport;
}
