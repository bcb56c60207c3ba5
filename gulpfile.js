// Copies every non-TypeScript asset the nodes load at run time (icons, codex, Lua scripts) next to the
// compiled JavaScript in dist/, keeping the folder layout.
const { src, dest, task } = require('gulp');

const ASSETS = [
	'nodes/**/*.svg',
	'nodes/**/*.png',
	'nodes/**/*.node.json',
	'nodes/**/*.lua',
	'credentials/**/*.svg',
];

function copyAssets() {
	return src(ASSETS, { base: '.', encoding: false }).pipe(dest('dist'));
}

task('build', copyAssets);
task('build:icons', copyAssets);
