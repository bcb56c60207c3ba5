'use strict';
// Benchmark floor: the cheapest custom webhook node possible. It writes 200 itself and starts no run
// ({ noWebhookResponse: true } and no workflowData), so it measures n8n's own cost of receiving a request.
Object.defineProperty(exports, '__esModule', { value: true });
exports.BenchAckFloor = void 0;

class BenchAckFloor {
	constructor() {
		this.description = {
			displayName: 'Bench Ack Floor',
			name: 'benchAckFloor',
			group: ['trigger'],
			version: 1,
			description: 'Benchmark floor: answers 200 and starts no run',
			defaults: { name: 'Bench Ack Floor' },
			inputs: [],
			outputs: ['main'],
			webhooks: [
				{
					name: 'default',
					httpMethod: 'POST',
					responseMode: 'onReceived',
					path: 'ack',
				},
			],
			properties: [],
		};
	}

	async webhook() {
		const res = this.getResponseObject();
		res.status(200).json({ ok: true });
		return { noWebhookResponse: true };
	}
}
exports.BenchAckFloor = BenchAckFloor;
