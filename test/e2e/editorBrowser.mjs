/**
 * Drives headless Chromium through n8n's editor for test/e2e/editor.test.ts and prints what it saw as one JSON
 * line. A separate Node process because @sparticuz/chromium is an ES module, which Jest's CommonJS module
 * system cannot load. Input: one JSON object
 *   { modules, baseUrl, email, password, workflowId, panelNode, searches: string[], listenNode?,
 *     listenText?, screenshots? }
 * (in the environment variable INVSYNC_EDITOR_VISIT)
 * Output: { canvas: [{ name, type, icons: [{ src, loaded }] , text }], panel: { node, parameters, labels,
 * notInstalled }, searches: { [text]: string[] } }.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const input = JSON.parse(process.env.INVSYNC_EDITOR_VISIT);
const require = createRequire(path.join(input.modules, 'noop.js'));
const puppeteer = require('puppeteer-core');
const chromiumEntry = require.resolve('@sparticuz/chromium');
const chromium = (await import(pathToFileURL(chromiumEntry).href)).default;

const settle = async (page, ms) => await page.waitForNetworkIdle({ idleTime: ms, timeout: 30_000 });

async function shot(page, name) {
	if (input.screenshots)
		await page.screenshot({ path: path.join(input.screenshots, `${name}.png`) });
}

async function login() {
	const response = await fetch(`${input.baseUrl}/rest/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ emailOrLdapLoginId: input.email, password: input.password }),
	});
	const cookie = /n8n-auth=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
	if (!response.ok || !cookie) throw new Error(`login answered ${response.status}`);
	return cookie;
}

/** Every canvas node: its name, type, the icons drawn in it (loaded or not) and its text. */
async function canvas(page) {
	return await page.evaluate(() =>
		[...document.querySelectorAll('[data-test-id="canvas-node"]')].map((el) => ({
			name: el.getAttribute('data-node-name'),
			type: el.getAttribute('data-node-type'),
			icons: [...el.querySelectorAll('img')].map((img) => ({
				src: new URL(img.src).pathname,
				loaded: img.complete && img.naturalWidth > 0,
			})),
			hasSvgIcon: el.querySelector('svg[data-icon], [class*="nodeIcon"] svg') !== null,
			text: el.textContent.replace(/\s+/g, ' ').trim(),
		})),
	);
}

/** Opens a node's panel by double-click and reads its parameters. */
async function panel(page, nodeName) {
	const node = await page.$(`[data-test-id="canvas-node"][data-node-name="${nodeName}"]`);
	const box = await node.boundingBox();
	await page.mouse.click(box.x + box.width / 2, box.y + Math.min(30, box.height / 2), {
		clickCount: 2,
	});
	await page.waitForSelector('[data-test-id="ndv"] [data-test-id="node-parameters"]', {
		timeout: 20_000,
	});
	await settle(page, 500);
	await shot(page, 'panel');
	const read = await page.evaluate(() => {
		const ndv = document.querySelector('[data-test-id="ndv"]');
		return {
			parameters: [...ndv.querySelectorAll('[data-test-id^="parameter-input-"]')].map((el) =>
				el.getAttribute('data-test-id').slice('parameter-input-'.length),
			),
			labels: [
				...ndv.querySelectorAll(
					'[data-test-id="parameter-item"] label, [data-test-id="input-label"]',
				),
			]
				.map((el) => el.textContent.replace(/\s+/g, ' ').trim())
				.filter(Boolean),
			text: ndv.textContent.replace(/\s+/g, ' '),
		};
	});
	await page.keyboard.press('Escape');
	return {
		node: nodeName,
		parameters: read.parameters,
		labels: read.labels,
		notInstalled: /not (currently )?installed|install this node/i.test(read.text),
	};
}

/**
 * Opens a trigger's panel, clicks Execute step and reads the panel while the run waits for its first event:
 * whether the run is still waiting (n8n's "Stop Listening" button) and whether `expected` is shown.
 * (n8n 2.41.1 draws a trigger's eventTriggerDescription only for webhook-style waits, so for the Inbox Trigger
 * the panel's notice is what the user reads while it waits.)
 */
async function listen(page, nodeName, expected) {
	const node = await page.$(`[data-test-id="canvas-node"][data-node-name="${nodeName}"]`);
	const box = await node.boundingBox();
	await page.mouse.click(box.x + box.width / 2, box.y + Math.min(30, box.height / 2), {
		clickCount: 2,
	});
	const button = '[data-test-id="ndv"] [data-test-id="node-execute-button"]';
	await page.waitForSelector(button, { timeout: 20_000 });
	await page.click(button);
	const waiting = await page
		.waitForFunction(
			(selector) => /stop listening/i.test(document.querySelector(selector)?.textContent ?? ''),
			{ timeout: 20_000 },
			button,
		)
		.then(() => true)
		.catch(() => false);
	await settle(page, 500);
	await shot(page, 'listening');
	const panelText = await page.evaluate(
		() => document.querySelector('[data-test-id="ndv"]')?.innerText ?? '',
	);
	// Still waiting after the panel settled: an empty inbox does not end the run.
	const stillWaiting = await page.evaluate(
		(selector) => /stop listening/i.test(document.querySelector(selector)?.textContent ?? ''),
		button,
	);
	const at = panelText.indexOf(expected);
	return {
		node: nodeName,
		waiting: waiting && stillWaiting,
		found: at >= 0,
		excerpt: at >= 0 ? panelText.slice(at, at + 200) : panelText.slice(0, 300),
	};
}

/**
 * Opens the node picker and waits for its search field. A click that lands while the previous picker is
 * still closing (its animation) opens nothing, which a loaded machine makes likely: the click is tried again
 * (up to three times) rather than waiting once for a picker that will not come.
 */
async function openNodeCreator(page, search) {
	for (let attempt = 1; ; attempt++) {
		await page.click('[data-test-id="node-creator-plus-button"]');
		try {
			await page.waitForSelector(search, { visible: true, timeout: 10_000 });
			return;
		} catch (error) {
			if (attempt >= 3) throw error;
			await page.keyboard.press('Escape');
			await settle(page, 500);
		}
	}
}

/** Types each text into the node picker's search and returns the names it lists. */
async function searches(page, texts) {
	const out = {};
	for (const text of texts) {
		const search =
			'[data-test-id="node-creator-search-bar"] input, [data-test-id="search-bar"] input';
		await openNodeCreator(page, search);
		await page.type(search, text);
		await settle(page, 300);
		out[text] = await page.evaluate(() =>
			[...document.querySelectorAll('[data-test-id="item-iterator-item"]')]
				.map((el) => el.textContent.replace(/\s+/g, ' ').trim())
				.filter(Boolean),
		);
		await shot(page, `search-${text.replace(/\W+/g, '-')}`);
		await page.keyboard.press('Escape');
		await settle(page, 200);
	}
	return out;
}

const browser = await puppeteer.launch({
	executablePath: await chromium.executablePath(),
	args: chromium.args,
	headless: true,
});
try {
	const page = await browser.newPage();
	await page.setViewport({ width: 1600, height: 1000 });
	await page.setCookie({ name: 'n8n-auth', value: await login(), url: input.baseUrl });
	await page.goto(`${input.baseUrl}/workflow/${input.workflowId}`, {
		waitUntil: 'networkidle2',
		timeout: 60_000,
	});
	await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60_000 });
	await settle(page, 500);
	await shot(page, 'canvas');
	const result = {
		canvas: await canvas(page),
		panel: await panel(page, input.panelNode),
		searches: await searches(page, input.searches ?? []),
		listening: input.listenNode
			? await listen(page, input.listenNode, input.listenText)
			: undefined,
	};
	process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
	await browser.close();
}
