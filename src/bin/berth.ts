import { main } from '../cli/main.js';

// A reader that goes away (`berth logs x | head`) ends the command quietly, as
// with any Unix tool, instead of an unhandled EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2), { out: process.stdout, err: process.stderr, in: process.stdin }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`berth: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
