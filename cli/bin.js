#!/usr/bin/env node
// The `herald` command: the compiled CLI, compiled again first when a source changed (scripts/compiled.js).
require('../scripts/compiled.js').run('cli/main');
