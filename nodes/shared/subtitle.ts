import type { INodePropertyOptions } from 'n8n-workflow';

/**
 * The canvas subtitle of a node with an Operation parameter: the operation's name as the user picked it in the
 * panel ("Deduplicate", "Get Levels"), not its stored value ("claim", "getLevels"). n8n evaluates the subtitle
 * as an expression in the editor, so the names travel inside it as a literal object built from the options
 * (they cannot drift apart). `legacy` maps values older workflows still store to the option they mean now.
 * `suffixParameter` appends ": <that parameter's value>" (the channel of a channel node).
 */
export function operationSubtitle(
	options: readonly INodePropertyOptions[],
	{
		legacy = {},
		suffixParameter,
	}: { legacy?: Record<string, string>; suffixParameter?: string } = {},
): string {
	const names: Record<string, string> = {};
	for (const option of options) names[String(option.value)] = option.name;
	for (const [old, current] of Object.entries(legacy)) names[old] = names[current] ?? current;
	// An unknown value (a newer version's operation) shows as stored rather than as "undefined".
	const name = `(${JSON.stringify(names)}[$parameter["operation"]] || $parameter["operation"])`;
	const suffix = suffixParameter
		? ` + ($parameter[${JSON.stringify(suffixParameter)}] ? ": " + $parameter[${JSON.stringify(suffixParameter)}] : "")`
		: '';
	// The spaces keep n8n's "{{ }}" markers apart from the object's own braces.
	return `={{ ${name}${suffix} }}`;
}
