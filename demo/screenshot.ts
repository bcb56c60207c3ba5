/**
 * A screenshot of a workflow in the running demo's editor, taken with a real headless Chromium: the npm package
 * @sparticuz/chromium carries a compressed Chromium inside the package (Playwright's and Puppeteer's own browser
 * downloads come from hosts many machines cannot reach), driven with puppeteer-core. Both come from the
 * tests' browserModulesDir(): the project's node_modules when a devDependency brings them, else a cache outside
 * the repository (~/.cache/invsync-e2e/chromium), installed there on first use.
 *
 * It signs in through the editor's own sign-in form (the session cookie is then the browser's own), opens the
 * workflow, waits until the canvas shows its nodes, and saves a PNG.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { browserModulesDir } from '../test/e2e/browserSupport';

/** Runs in the page (text: the project compiles without the DOM's types): clicks the checklist card's ×. */
const CLOSE_CHECKLIST = `(() => {
	const heading = [...document.querySelectorAll('body *')].find(
		(el) => el.children.length === 0 && el.textContent.trim() === 'Production Checklist',
	);
	let box = heading ? heading.parentElement : null;
	for (let up = 0; box && up < 6; up++, box = box.parentElement) {
		const close = box.querySelector('button[aria-label*="lose"], [data-test-id*="close"], svg[data-icon="x"]');
		if (close) {
			(close.closest('button') || close).dispatchEvent(new MouseEvent('click', { bubbles: true }));
			return true;
		}
	}
	return false;
})()`;

interface Page {
	goto(url: string, opts?: object): Promise<unknown>;
	waitForSelector(selector: string, opts?: object): Promise<unknown>;
	type(selector: string, text: string): Promise<void>;
	keyboard: { press(key: string): Promise<void> };
	screenshot(opts: { path: string; fullPage?: boolean }): Promise<unknown>;
	evaluate<T>(fn: string | (() => T)): Promise<T>;
	setViewport(v: { width: number; height: number; deviceScaleFactor?: number }): Promise<void>;
	url(): string;
}

export async function screenshotWorkflow(opts: {
	baseUrl: string;
	owner: { email: string; password: string };
	workflowId: string;
	file: string;
	say: (line: string) => void;
}): Promise<void> {
	opts.say('Taking the screenshot with headless Chromium …');
	const modules = browserModulesDir();
	const load = (name: string) =>
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		require(require.resolve(name, { paths: [modules] })) as Record<string, unknown>;
	const chromiumModule = load('@sparticuz/chromium');
	const chromium = (chromiumModule.default ?? chromiumModule) as {
		executablePath: () => Promise<string>;
		args: string[];
	};
	const puppeteer = load('puppeteer-core') as {
		launch: (o: object) => Promise<{
			newPage: () => Promise<Page>;
			close: () => Promise<void>;
		}>;
	};
	const browser = await puppeteer.launch({
		executablePath: await chromium.executablePath(),
		args: chromium.args,
		headless: true,
	});
	try {
		const page = await browser.newPage();
		await page.setViewport({ width: 1920, height: 1080, deviceScaleFactor: 1 });
		await page.goto(`${opts.baseUrl}/signin`, { waitUntil: 'networkidle0', timeout: 60_000 });
		const email = 'input[name="emailOrLdapLoginId"], input[type="email"]';
		await page.waitForSelector(email, { timeout: 60_000 });
		await page.type(email, opts.owner.email);
		await page.type('input[name="password"], input[type="password"]', opts.owner.password);
		await page.keyboard.press('Enter');
		await page.waitForSelector('[data-test-id="main-sidebar"], #sidebar, .el-menu', {
			timeout: 60_000,
		});
		await page.goto(`${opts.baseUrl}/workflow/${opts.workflowId}`, {
			waitUntil: 'networkidle0',
			timeout: 60_000,
		});
		await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60_000 });
		// Let the canvas fit the view and the node icons load.
		await new Promise((r) => setTimeout(r, 2000));
		// n8n opens its "Production Checklist" card over the canvas of a published workflow: close it (its ×).
		await page.evaluate(CLOSE_CHECKLIST);
		await new Promise((r) => setTimeout(r, 500));
		fs.mkdirSync(path.dirname(opts.file), { recursive: true });
		await page.screenshot({ path: opts.file });
		opts.say(`Screenshot of ${page.url()} saved to ${opts.file}.`);
	} finally {
		await browser.close();
	}
}
