// Preloaded with `node --import` into a process whose peak memory a benchmark
// measures: prints it on stderr as the process exits.
process.on('exit', () => {
  process.stderr.write(`max-rss-kb=${process.resourceUsage().maxRSS}\n`);
});
