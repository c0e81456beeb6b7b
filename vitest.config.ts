import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start real programs (sshd, dockerd, redis-server); give them room on 2 noisy cores.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Vitest's default on 2 cores is one worker (cpus - 1): the suite ran file after file although most integration
    // files spend their time waiting on the programs they started. Three forks overlap those waits.
    maxWorkers: 3,
  },
});
