import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start real programs (sshd, dockerd, redis-server); give them room on 2 noisy cores.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
