// Realistic secrets (fake values in the real shapes) as they show up in log lines, and near-misses that must stay.
// Values are assembled from parts so that no scanner takes this file for a leak; every one is invented.

const J = (...p: string[]) => p.join("");

export interface SecretCase {
  readonly name: string;
  readonly line: string;
  /** The substrings that must not survive redaction. */
  readonly secrets: readonly string[];
  /** The kind of placeholder expected in their place. */
  readonly kind: "SECRET" | "EMAIL" | "IP";
}

const awsId = J("AKIA", "IOSFODNN7", "EXAMPLE");
const awsSecret = J("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY");
const slackBot = J("xoxb-", "2048123456789-", "4096123456789-", "q5WvXzTn1YbKcP0dRe3sUa7m");
const slackUser = J("xoxp-", "1234567890-", "0987654321-", "1122334455-", "abcdef0123456789abcdef0123456789");
const ghp = J("ghp_", "R2d2C3p0L7k9M1n3B5v7C9x1Z3a5S7d9F1g3");
const ghPat = J("github_pat_", "11ABCDEFG0", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWX");
const jwt = J("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", ".", "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ", ".", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
const openaiKey = J("sk-proj-", "Zt4Qm8Wn2Rv6Yp0Lc3Hk7Jd1Fs5Ga9Xb");
const stripe = J("sk_live_", "51HqLyjWDarjtT1zdp7dc");
const googleKey = J("AIza", "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY");
const pem = ["-----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA7bq9xExampleExampleExampleExampleExample", "q3VfGexampleExampleExample==", "-----END RSA PRIVATE KEY-----"].join("\n");
const opensshKey = ["-----BEGIN OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW", "-----END OPENSSH PRIVATE KEY-----"].join("\n");

export const SECRET_CASES: readonly SecretCase[] = [
  { name: "AWS access key id in an SDK error", line: `CredentialsError: The AWS Access Key Id you provided does not exist in our records. (AccessKeyId: ${awsId})`, secrets: [awsId], kind: "SECRET" },
  { name: "AWS secret access key in an env dump", line: `AWS_SECRET_ACCESS_KEY=${awsSecret}`, secrets: [awsSecret], kind: "SECRET" },
  { name: "bare AWS secret access key", line: `loaded credentials ${awsId} ${awsSecret} from ~/.aws/credentials`, secrets: [awsId, awsSecret], kind: "SECRET" },
  { name: "Slack bot token", line: `[bolt] An API error occurred: invalid_auth (token ${slackBot})`, secrets: [slackBot], kind: "SECRET" },
  { name: "Slack user token in JSON", line: `{"level":"error","slackToken":"${slackUser}","msg":"not_authed"}`, secrets: [slackUser], kind: "SECRET" },
  { name: "Slack webhook URL", line: `POST https://hooks.slack.com/services/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 failed: 404`, secrets: ["kJ8aYq0bVwZt9nR2mQ4pL6sE"], kind: "SECRET" },
  { name: "GitHub classic token in a git remote", line: `fatal: unable to access 'https://${ghp}@github.com/acme/palantir.git/': The requested URL returned error: 403`, secrets: [ghp], kind: "SECRET" },
  { name: "GitHub fine-grained token", line: `GITHUB_TOKEN=${ghPat} gh api /repos/acme/palantir`, secrets: [ghPat], kind: "SECRET" },
  { name: "JWT in an Authorization header", line: `GET /api/v1/jobs 401 authorization="Bearer ${jwt}"`, secrets: [jwt], kind: "SECRET" },
  { name: "bearer token (opaque)", line: `curl -H 'Authorization: Bearer 9f3b2c7d1e8a4f60b5c9d2e7a1f3b8c4d6e0a2f5' http://127.0.0.1:9003/health`, secrets: ["9f3b2c7d1e8a4f60b5c9d2e7a1f3b8c4d6e0a2f5"], kind: "SECRET" },
  { name: "password in a Postgres URL", line: `error: password authentication failed for DATABASE_URL=postgres://palantir:Tr0ub4dor&3horse@db.internal:5432/palantir`, secrets: ["Tr0ub4dor&3horse"], kind: "SECRET" },
  { name: "password in a Redis URL", line: `[ioredis] Unhandled error event: connect ECONNREFUSED redis://default:s3cr3tPassw0rd@10.0.0.12:6379`, secrets: ["s3cr3tPassw0rd"], kind: "SECRET" },
  { name: "password in an AMQP URL", line: `Error: Socket closed abruptly during opening handshake amqp://guest:rabbitpass99@rabbitmq:5672/`, secrets: ["rabbitpass99"], kind: "SECRET" },
  { name: "password= in a config dump", line: `config: host=db.internal port=5432 user=app password=hunter2hunter2 sslmode=require`, secrets: ["hunter2hunter2"], kind: "SECRET" },
  { name: "api_key in a query string", line: `GET /v2/transcribe?api_key=4c1f9b2e7d3a6c8e0f5b1d9a&lang=en 502`, secrets: ["4c1f9b2e7d3a6c8e0f5b1d9a"], kind: "SECRET" },
  { name: "X-Api-Key header", line: `upstream rejected X-Api-Key: live_7Hq2LmN9pR4tV8wZ (403)`, secrets: ["live_7Hq2LmN9pR4tV8wZ"], kind: "SECRET" },
  { name: "OpenAI project key", line: `openai.AuthenticationError: 401 Incorrect API key provided: ${openaiKey}.`, secrets: [openaiKey], kind: "SECRET" },
  { name: "Stripe live key", line: `StripeAuthenticationError: Invalid API Key provided: ${stripe}`, secrets: [stripe], kind: "SECRET" },
  { name: "Google API key", line: `geocode failed key=${googleKey} status=REQUEST_DENIED`, secrets: [googleKey], kind: "SECRET" },
  { name: "RSA private key block", line: `Traceback: could not parse key\n${pem}\nValueError: bad decrypt`, secrets: ["MIIEowIBAAKCAQEA7bq9xExampleExampleExampleExampleExample", "q3VfGexampleExampleExample=="], kind: "SECRET" },
  { name: "OpenSSH private key block", line: opensshKey, secrets: ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"], kind: "SECRET" },
  { name: "client_secret in JSON", line: `{"client_id":"palantir-web","client_secret":"Zm9vYmFyYmF6cXV4cXV1eA","grant_type":"client_credentials"}`, secrets: ["Zm9vYmFyYmF6cXV4cXV1eA"], kind: "SECRET" },
  // The misses of issue 13, each in the shape it had in a log line.
  { name: "Slack app-level token", line: `socket mode: apps.connections.open failed for ${J("xapp-", "1-A0123456789-", "4012345678901-", "0f1e2d3c4b5a69788796a5b4c3d2e1f0")}`, secrets: [J("xapp-", "1-A0123456789-")], kind: "SECRET" },
  { name: "unsigned JWT (alg none)", line: `accepted session ${J("eyJhbGciOiJub25lIn0", ".", "eyJzdWIiOiJhZG1pbiIsInJvbGUiOiJyb290In0", ".")} for admin`, secrets: ["eyJzdWIiOiJhZG1pbiIsInJvbGUiOiJyb290In0"], kind: "SECRET" },
  { name: "private_key= in a config dump", line: `settings: private_key=${J("Mc4wBQYDK2VwBCIEI", "Ho9qVz7kR2fT8xN")} key_id=7`, secrets: [J("Mc4wBQYDK2VwBCIEI", "Ho9qVz7kR2fT8xN")], kind: "SECRET" },
  { name: "Azure storage AccountKey", line: `DefaultEndpointsProtocol=https;AccountName=palantirlogs;AccountKey=${J("k3Jd9sL0qW8eR7tY6uI5oP4aS3dF2gH1jK0lZ9xC8vB7nM6", "qW5eR4tY3uI2oP1aS0dF9gH8jK7lZ6xC5vB4nM3==")};EndpointSuffix=core.windows.net`, secrets: [J("k3Jd9sL0qW8eR7tY6uI5oP4aS3dF2gH1jK0lZ9xC8vB7nM6")], kind: "SECRET" },
  { name: "--password on a command line", line: `ps: 4711 /usr/bin/backup-agent --user backup --password ${J("Gr33n", "Turtle!77")} --target s3://bk`, secrets: [J("Gr33n", "Turtle!77")], kind: "SECRET" },
  { name: "mysql -pPASSWORD", line: `cron[812]: (root) CMD (mysqldump -u root -p${J("Sup3r", "S3cret")} palantir > /var/backups/db.sql)`, secrets: [J("Sup3r", "S3cret")], kind: "SECRET" },
  { name: "curl -u user:password", line: `healthcheck: curl -fsS -u admin:${J("c0rrect", "Horse9")} http://127.0.0.1:15672/api/health`, secrets: [J("c0rrect", "Horse9")], kind: "SECRET" },
  { name: "session cookie", line: `GET /admin 302 Cookie: sessionid=${J("q8z2k4m6n1p3r5t7", "v9x0w2y4")}; csrftoken=${J("Xy7Wq2", "Lm9Np4Rt6")}`, secrets: [J("q8z2k4m6n1p3r5t7", "v9x0w2y4"), J("Xy7Wq2", "Lm9Np4Rt6")], kind: "SECRET" },
  { name: "Vault service token", line: `vault: permission denied for token ${J("hvs.", "CAESIJ8fQ2kL9mN4pR7sT1vW3xY5zA6bC8dE0fG2hJ4kL6mN")}`, secrets: [J("hvs.", "CAESIJ8fQ2kL9mN4pR7sT1vW3xY5zA6bC8dE0fG2hJ4kL6mN")], kind: "SECRET" },
  { name: "DigitalOcean token", line: `doctl: unable to authenticate with ${J("dop_v1_", "a3f9c2e7b1d84f60a5c9d2e7a1f3b8c4d6e0a2f5b7c9d1e3f5a7b9c1d3e5f7a9")}`, secrets: [J("dop_v1_", "a3f9c2e7b1d84f60a5c9d2e7a1f3b8c4")], kind: "SECRET" },
  { name: "SendGrid key", line: `mailer: 401 from SendGrid with key ${J("SG.", "ngeVfQFYQlKU0ufo8x5d1A", ".", "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr")}`, secrets: [J("SG.", "ngeVfQFYQlKU0ufo8x5d1A")], kind: "SECRET" },
  { name: "Twilio API key SID", line: `twilio: auth failed for ${J("SK", "2a9f4c7e1b3d5f60a8c2e4f6b8d0a1c3")}`, secrets: [J("SK", "2a9f4c7e1b3d5f60a8c2e4f6b8d0a1c3")], kind: "SECRET" },
  { name: "opaque value after a key-like name", line: `webhook signing_key ${J("f7Hq2Lm9Np4Rt6Vw", "8Xz1Bc3De5Fg")} rotated`, secrets: [J("f7Hq2Lm9Np4Rt6Vw", "8Xz1Bc3De5Fg")], kind: "SECRET" },
  { name: "private key block whose END line is missing", line: `could not load key\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nq3VfGcutShortHere`, secrets: ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", "q3VfGcutShortHere"], kind: "SECRET" },
  { name: "e-mail address", line: `Failed to send digest to jane.doe+alerts@example.co.uk: 550 mailbox unavailable`, secrets: ["jane.doe+alerts@example.co.uk"], kind: "EMAIL" },
];

/** Lines whose ids, hashes, ports, PIDs and paths must reach the model unchanged: they are the figures it needs. */
export const NEAR_MISSES: readonly string[] = [
  "commit 3f2a9c1e7b4d8f6a0c5e2b9d1f7a3c6e8b0d4f2a deployed to mithrandir",
  "job 9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d failed: Input file not accessible",
  "Error: listen EADDRINUSE: address already in use :::9003",
  "transcription-palantir.service: Main process exited, code=exited, status=1/FAILURE (PID 48213)",
  "Scheduled restart job, restart counter is at 485.",
  "Input file not accessible: /home/palantir/audio/inbox/2025-12-26_call_0417.wav",
  "container 4f2a9c1e7b4d exited with code 137 (OOMKilled=true) at 2025-12-26T16:42:07-05:00",
  "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 pulled",
  "Rotating segment for stream 1042: ProcessLookupError: [Errno 3] No such process",
  "thread 'tokio-runtime-worker' panicked at src/worker/rotate.rs:214:17",
  "max_tokens=800 token_count=42 retries=3",
  "GET /api/v1/jobs?status=failed&limit=50 200 12ms",
  "pool exhausted: 20/20 connections in use, 57 waiting",
];
