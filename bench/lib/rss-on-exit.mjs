// Loaded with `node --import`: prints the process's peak resident set size on stderr when it exits.
process.on("exit", () => process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\n`));
