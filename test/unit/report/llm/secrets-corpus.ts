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
