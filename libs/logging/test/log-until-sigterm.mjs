/*
 * A process that logs through the built CloudWatch transport and, on SIGTERM,
 * exits 0 as the service does (process.exit): pino's exit hook then ends the
 * transport, whose close sends what it still holds. Plain JavaScript, so it
 * runs without a build step of its own; .mjs because the type-aware lint
 * reads .js as part of the TypeScript project and leaves .mjs alone.
 *
 * Usage: node log-until-sigterm.mjs <transport.js> <line count>, with
 * LOG_GROUP_NAME and LOG_STREAM_NAME set. Prints "logged" once the lines are
 * written and the transport's worker has started, as in a service that has been up a while.
 */
import pino from 'pino';

const [target, count] = process.argv.slice(2);
const transport = pino.transport({
  target,
  options: {
    logGroupName: process.env.LOG_GROUP_NAME,
    logStreamName: process.env.LOG_STREAM_NAME,
    // Nothing is sent on a timer during the test: the lines can only arrive through the exit path.
    flushIntervalMs: 600_000,
  },
});
const logger = pino(transport);

// Keeps the process alive until the signal; the transport's worker does not.
const keepAlive = setInterval(() => undefined, 60_000);
process.once('SIGTERM', () => {
  clearInterval(keepAlive);
  logger.info('SIGTERM received');
  process.exit(0);
});

for (let i = 0; i < Number(count); i++) logger.info({ line: i }, `line ${i}`);
transport.once('ready', () => process.stdout.write('logged\n'));
