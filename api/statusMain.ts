import { loadConfig } from '../core/config';
import { createLogger } from '../core/logger';
import { createStatusServer } from './statusServer';

// The public status server process. Reads nothing but the published directory.
const config = loadConfig();
const log = createLogger('herald-status', config.logLevel);
const status = createStatusServer(config.publicDir);
status.server.on('error', (err) => {
  console.error(`herald status: cannot listen on ${config.bind}:${config.statusPort}: ${err.message}`);
  process.exit(1);
});
status.server.listen(config.statusPort, config.bind, () => log.info({ port: config.statusPort, dir: config.publicDir }, 'status server listening'));
const stop = () => void status.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
