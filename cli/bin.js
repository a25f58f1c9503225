#!/usr/bin/env node
// The `herald` command: TypeScript run through tsx, like every other Herald process.
require('tsx/cjs');
require('./main.ts');
