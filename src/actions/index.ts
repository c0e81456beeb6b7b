// Public surface of the actions floor: remediation definitions and the guard every action passes.
/** The four actions as data (params, destructive, argv, pre/postconditions), by id. */
export { ACTION_IDS, ACTIONS, ActionId, type ActionCommand, type ActionDefinition } from "./definitions.js";
/** Validators for values taken from logs: PID, port, unit, container, queue. */
export { ContainerRef, HostName, Pid, Port, QueueName, UnitName, UnitScope } from "./params.js";
/** The probe door the conditions use (implemented by src/probes, faked in tests). */
export type { ActionProbes, Check, ContainerState, PortHolder, Postcondition, Precondition, UnitState } from "./probes.js";
/** The probe door answered by src/probes on configured hosts. */
export { createHostProbes, type HostProbeDeps } from "./probe-door.js";
/** Signed, expiring, single-use tokens for buttons. */
export { createTokenService, MAX_TOKEN_CHARS, type RedeemedToken, type TokenClaims, type TokenDeps, type TokenRefusal, type TokenService, type TokenVerdict } from "./token.js";
/** Used-nonce memory (bounded, expiring) that makes tokens single-use. */
export { createNonceCache, type NonceLedger } from "./nonce-cache.js";
/** The same, also claimed in the store (set-if-absent), so a token is used once across restarts and processes. */
export { createStoreNonceLedger } from "./store-nonce-ledger.js";
/** Allow-lists per action as zod config; glob matching of hosts and targets. */
export { ActionPolicySchema, checkRequester, checkScope, GuardConfigSchema, matchesAny, selfScope, vetHolder, type ActionPolicy, type GuardConfig, type PolicyRefusal, type Requester, type SelfScope } from "./policy.js";
/** Decisions, plans, and how a command reads in a confirm dialog. */
export { describeCommand, type Decision, type Plan, type RefusalReason } from "./plan.js";
/** The guard: authorize, approve, execute; every outcome audited. */
export { createGuard, type ActionRequest, type ApprovalRequest, type Guard, type GuardDeps } from "./guard.js";
export type { ExecutionOutcome, Executor, ExecutorResult } from "./execute.js";
/** The part of the Store the guard needs: audit, records with expiry taken once, set-if-absent claims. */
export { APPROVAL_NS, decodeApproval, GRANT_NS, type GuardStore, type Pending } from "./guard-store.js";
/** The real executor: argv through Host.exec (never a shell, timed, output capped), the job queue through a cleaner. */
export { createHostExecutor, type HostExecutorDeps } from "./host-executor.js";
/** The token secret from guard.secret (env) or guard.secretFile. */
export { readGuardSecret } from "./secret.js";
/** Guard, tokens, probes and executor wired from config, for act, watch and bot. */
export { createGuardKit, dockerHostOf, ownPortsOf, type DockerSources, type GuardKit, type GuardKitDeps } from "./kit.js";
/** An action's params as an incident suggests them (finding fields, probe results), each with its source. */
export { suggestParams, type ParamSources, type SuggestedParam } from "./defaults.js";
export { offerActions, type ActionOffer } from "./offers.js"; // The buttons an incident allows: its rules' actions, backed by its probe results, within the guard config.
/** After a done fix: resolve the incident only when no other finding of it still fires. */
export { settleFix, type SettleDeps, type Settled } from "./settle.js";
/** `firewatch actuator`: the privileged executor behind a unix socket (grants and port questions only), and its client. */
export { createActuatorHandler, listenActuator, type ActuatorDeps, type ActuatorHandler, type ActuatorListenOptions } from "./actuator-server.js";
export { ActuatorError, actuatorHosts, actuatorLookup, createActuatorClient, withActuatorReads, type ActuatorClient, type ActuatorConnect, type ActuatorLookup, type ActuatorRoutes } from "./actuator-client.js";
export { createPeerLookup, credentialsFromStatus, peerAllowed, peerPidFromSs, type Peer, type PeerOf } from "./actuator-peer.js";
export { isPrivilegedRead, type ActuatorRefusal, type ActuatorResponse } from "./actuator-protocol.js";
/** sudoers and polkit text granting exactly the configured restart targets on a host (`firewatch doctor --sudoers`). */
export { polkitRules, sudoersRules, type GrantRules, type GrantTarget } from "./grant-rules.js";
/** The rights firewatch has on a host, and per enabled action whether it can run there (`firewatch doctor`, the bot). */
export { actionReadiness, createReadinessCache, RIGHTS_TTL_MS, countListeners, hasCapKill, hasRestartRule, readHostRights, POLKIT_RULES_FILE, type ActionReadiness, type HostRights } from "./rights.js";
