'use strict';
// Benchmark floor: the cheapest custom webhook trigger that starts a run. n8n answers 200 (empty body) as
// soon as the run is queued (responseMode onReceived, responseData noData); the run gets one item
// { raw: <request body as text> }. Nothing is parsed, checked or stored.
Object.defineProperty(exports, '__esModule', { value: true });
exports.BenchFloorTrigger = void 0;

class BenchFloorTrigger {
	constructor() {
		this.description = {
			displayName: 'Bench Floor Trigger',
			name: 'benchFloorTrigger',
			group: ['trigger'],
			version: 1,
			description: 'Benchmark floor: starts a run with the raw request body, nothing else',
			defaults: { name: 'Bench Floor Trigger' },
			inputs: [],
			outputs: ['main'],
			webhooks: [
				{
					name: 'default',
					httpMethod: 'POST',
					responseMode: 'onReceived',
					responseData: 'noData',
					path: 'floor',
				},
			],
			properties: [],
		};
	}

	async webhook() {
		const req = this.getRequestObject();
		let raw;
		if (Buffer.isBuffer(req.rawBody)) raw = req.rawBody.toString('utf8');
		else if (typeof req.body === 'string') raw = req.body;
		else raw = JSON.stringify(req.body === undefined ? null : req.body);
		return { workflowData: [[{ json: { raw } }]] };
	}
}
exports.BenchFloorTrigger = BenchFloorTrigger;
