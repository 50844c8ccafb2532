#!/usr/bin/env node
// The `stitch` bin. A plain-JS shim that exists before the build, so `npm ci` links it (npm skips
// bins whose target does not exist yet, and the TypeScript build runs after linking).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
// A leftover handle (a client socket a backend keeps open) must not keep a stopped collector alive.
setTimeout(() => process.exit(process.exitCode), 2000).unref();
