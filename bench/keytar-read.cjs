// The keychain baseline: a bare script that reads one keytar entry, nothing else.
require('keytar')
  .getPassword(process.env.BENCH_SERVICE || 'loopauth', process.env.BENCH_ACCOUNT || 'default')
  .then((v) => process.stdout.write(v ? 'ok\n' : 'none\n'));
