#!/usr/bin/env node
'use strict';
// The `verdict` bin. npm links a bin only when its file exists at install time, and dist/ is
// built later (by `npm start`), so the link points here and this loads the build.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(
    `verdict: the CLI is not built yet (${entry} is missing): run \`npm start\` or ` +
      '`npx nx run @verdict/cli:build` in the repository first\n',
  );
  process.exit(1);
}
require(entry);
