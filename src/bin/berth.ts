import { main } from '../cli/main.js';

main(process.argv.slice(2), { out: process.stdout, err: process.stderr, in: process.stdin }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`berth: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
