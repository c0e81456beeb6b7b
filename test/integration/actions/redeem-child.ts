// A second guard process for the replay test: waits for "go" on stdin, then redeems the token it was given once.
import { createInterface } from "node:readline";
import { createGuardKit, GuardConfigSchema } from "../../../src/actions/index.js";
import { LocalHost } from "../../../src/hosts/index.js";
import { RedisStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";

const [url = "", namespace = "firewatch", token = "", user = "cli:root"] = process.argv.slice(2);
const config = GuardConfigSchema.parse({
  secret: process.env.FIREWATCH_GUARD__SECRET,
  actions: { kill_port_owner: { users: [user], channels: ["cli"], hosts: ["local"], ports: ["1024-65535"], targets: ["*"], rateLimit: { max: 50, per: "1h" } } },
});
const store = await RedisStore.connect(url, { clock: systemClock }, { namespace });
const host = new LocalHost();
const kit = await createGuardKit({ config, store, clock: systemClock, host: (n) => (n === "local" ? host : undefined) });
process.stdout.write("ready\n");
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (line !== "go") continue;
  const d = await kit.guard.authorize({ token, requester: { user, groups: [], channel: "cli" } });
  process.stdout.write(`${JSON.stringify({ kind: d.kind, reason: d.kind === "refused" ? d.reason : undefined })}\n`);
  break;
}
rl.close();
await host.close();
await store.close();
