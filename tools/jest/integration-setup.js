// Starts (or reuses) the real local Kafka, FerretDB and Redis once per run and
// exports their settings to the test workers. Set KAFKA_BROKERS, MONGODB_URI and
// REDIS_URL to test against clusters of your own instead.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function integrationSetup() {
  const script = join(__dirname, '..', '..', 'deploy', 'local', 'infra.sh');
  execFileSync('bash', [script, 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const out = execFileSync('bash', [script, 'env'], { encoding: 'utf8' });
  for (const line of out.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
};
