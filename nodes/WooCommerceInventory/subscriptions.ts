import type { ChannelRun } from '../shared/channel/callPolicy';
import { readChannel, totalPagesOf, type WooRestClient } from './transport/restClient';

/**
 * The Subscriptions operation: the shop's webhooks to one delivery URL (the trigger's, or the Inventory
 * Receiver's), one active webhook per wanted topic. WooCommerce never retries a delivery and disables a
 * webhook after repeated failures (platform-facts), so a scheduled run re-activates what it disabled
 * (`PUT /webhooks/<id> { status: 'active' }`) and creates what is missing. The plan is pure; `ensureWebhooks`
 * carries it out.
 */

export interface WooWebhook {
	id: number | string;
	topic: string;
	delivery_url: string;
	status: string;
	name?: string;
}

export interface SubscriptionPlan {
	/** Topics with an active webhook to the URL: nothing to do. */
	found: Array<{ topic: string; id: string }>;
	/** Topics whose webhook to the URL is disabled or paused: re-activate that one (the newest). */
	reactivate: Array<{ topic: string; id: string; status: string }>;
	/** Topics with no webhook to the URL: create one. */
	create: string[];
	/** Further webhooks of a topic to the same URL (each delivery would come twice): reported, left alone. */
	duplicates: Array<{ topic: string; id: string; status: string }>;
}

/** What to do for each wanted topic, given the shop's webhooks. Pure. */
export function planSubscriptions(
	existing: readonly WooWebhook[],
	deliveryUrl: string,
	topics: readonly string[],
): SubscriptionPlan {
	const plan: SubscriptionPlan = { found: [], reactivate: [], create: [], duplicates: [] };
	for (const topic of topics) {
		const mine = existing
			.filter((w) => w.delivery_url === deliveryUrl && w.topic === topic)
			.sort((a, b) => Number(b.id) - Number(a.id));
		if (mine.length === 0) {
			plan.create.push(topic);
			continue;
		}
		const active = mine.find((w) => w.status === 'active');
		const chosen = active ?? mine[0];
		if (active) plan.found.push({ topic, id: String(active.id) });
		else plan.reactivate.push({ topic, id: String(chosen.id), status: chosen.status });
		for (const w of mine)
			if (w !== chosen) plan.duplicates.push({ topic, id: String(w.id), status: w.status });
	}
	return plan;
}

export interface SubscriptionReport {
	deliveryUrl: string;
	found: Array<{ topic: string; id: string }>;
	reactivated: Array<{ topic: string; id: string; was: string }>;
	created: Array<{ topic: string; id: string; status: string }>;
	duplicates: Array<{ topic: string; id: string; status: string }>;
	/** Webhooks that are still not active after this run (e.g. created while its ping failed), with why. */
	problems: Array<{ topic: string; id: string; status: string; message: string }>;
	calls: number;
}

/** Lists the shop's webhooks (all pages). */
export async function listWebhooks(
	run: ChannelRun,
	client: WooRestClient,
): Promise<{ webhooks: WooWebhook[]; calls: number }> {
	const webhooks: WooWebhook[] = [];
	let calls = 0;
	for (let page = 1; ; page++) {
		calls++;
		const answer = await readChannel<WooWebhook[]>(run, client, 'Listing webhooks', {
			method: 'GET',
			path: '/webhooks',
			qs: { per_page: 100, page, status: 'all' },
		});
		const list = Array.isArray(answer.body) ? answer.body : [];
		webhooks.push(...list);
		const pages = totalPagesOf(answer.headers);
		if (pages === undefined ? list.length < 100 : page >= pages) break;
	}
	return { webhooks, calls };
}

/** Creation needs the credential's Webhook Secret: without it WooCommerce invents one we cannot verify. */
export class MissingWebhookSecretError extends Error {
	constructor(readonly topics: string[]) {
		super(
			`Set a Webhook Secret in the WooCommerce Inventory API credential: the ${topics.join(', ')} webhook(s) must be created, and WooCommerce signs deliveries with the secret given at creation`,
		);
		this.name = 'MissingWebhookSecretError';
	}
}

/** Lists, re-activates and creates. Throws WooReadError when a call fails (nothing is retried blindly). */
export async function ensureWebhooks(
	run: ChannelRun,
	client: WooRestClient,
	input: { deliveryUrl: string; topics: readonly string[]; secret: string; namePrefix?: string },
): Promise<SubscriptionReport> {
	const { webhooks, calls } = await listWebhooks(run, client);
	const plan = planSubscriptions(webhooks, input.deliveryUrl, input.topics);
	if (plan.create.length > 0 && !input.secret) throw new MissingWebhookSecretError(plan.create);
	const report: SubscriptionReport = {
		deliveryUrl: input.deliveryUrl,
		found: plan.found,
		reactivated: [],
		created: [],
		duplicates: plan.duplicates,
		problems: [],
		calls,
	};
	for (const r of plan.reactivate) {
		report.calls++;
		const answer = await readChannel<WooWebhook>(run, client, `Re-activating webhook ${r.id}`, {
			method: 'PUT',
			path: `/webhooks/${r.id}`,
			body: { status: 'active' },
		});
		if (answer.body?.status === 'active')
			report.reactivated.push({ topic: r.topic, id: r.id, was: r.status });
		else
			report.problems.push({
				topic: r.topic,
				id: r.id,
				status: String(answer.body?.status ?? 'unknown'),
				message: 'WooCommerce did not re-activate the webhook',
			});
	}
	for (const topic of plan.create) {
		report.calls++;
		const answer = await readChannel<WooWebhook>(run, client, `Creating the ${topic} webhook`, {
			method: 'POST',
			path: '/webhooks',
			body: {
				name: `${input.namePrefix ?? 'n8n inventory sync'}: ${topic}`,
				topic,
				delivery_url: input.deliveryUrl,
				secret: input.secret,
				status: 'active',
			},
		});
		const id = String(answer.body?.id ?? '');
		const status = String(answer.body?.status ?? 'unknown');
		report.created.push({ topic, id, status });
		if (status !== 'active')
			report.problems.push({
				topic,
				id,
				status,
				message:
					'WooCommerce saved the webhook but not as active: its creation ping to the delivery URL did not get HTTP 200. Make the URL reachable from the WordPress server, then run Subscriptions again (it re-activates it)',
			});
	}
	return report;
}
