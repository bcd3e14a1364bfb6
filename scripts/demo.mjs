#!/usr/bin/env node
// `npm run demo`: scripted patients in several languages through the journeys, on the platform
// of e2e/support (see e2e/demo/main.ts). Like `npm start`, it first installs what is missing and
// starts (or reuses) the local infrastructure, which it leaves running.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureDependencies, ensureInfrastructure, root } from './lib/workspace.mjs';

ensureDependencies();
const infra = ensureInfrastructure();
const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', join(root, 'e2e', 'demo', 'main.ts')], { cwd: root, env: { ...process.env, ...infra }, stdio: 'inherit' });
process.exit(r.status ?? 1);
