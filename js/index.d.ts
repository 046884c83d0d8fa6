// Type declarations of @hopx-ai/sdk (hand-written; js/index.d.mts is generated from this file).

/** The package version. */
export declare const version: string;

// ---------------------------------------------------------------------------------------------
// Options

/**
 * Where to send requests and with which key. Every setting is optional: an unset one is
 * resolved by the SDK, first hit wins:
 *
 * - API key: `apiKey` → `HOPX_API_KEY` → the nearest `.env` file from the current directory
 *   upward (its `HOPX_API_KEY` line only) → `$HOPX_CONFIG_DIR/config.toml` (default
 *   `~/.hopx/config.toml`, profile `HOPX_PROFILE` or the file's `default_profile`).
 * - Base URL: `baseURL` → `HOPX_BASE_URL` → the config file → `https://api.hopx.dev`.
 *   A `.env` file never sets it.
 *
 * The key is checked before anything is sent, and never appears in errors or printed objects.
 */
export interface ClientOptions {
  /** The API key, `hopx_live_<keyId>.<secret>`. */
  apiKey?: string;
  /** The control plane URL, e.g. `http://127.0.0.1:8787` for `hopx-local`. */
  baseURL?: string;
  /**
   * Which header carries the key: `'bearer'` (`Authorization: Bearer <key>`, the default) or
   * `'x-api-key'` (`X-API-Key: <key>`). Default: `HOPX_AUTH_HEADER`, then the config file.
   */
  authHeader?: 'bearer' | 'x-api-key' | (string & {});
  /**
   * `false` turns the key format check off (self-hosted servers with keys of another format).
   * Default: `HOPX_VALIDATE_API_KEY`, else on.
   */
  validateApiKey?: boolean;
  /** The HTTP request timeout in milliseconds (default 60 000). Not the sandbox lifetime. */
  requestTimeoutMs?: number;
}

/** Options of {@link Sandbox.create}. One of `template` and `templateId` is required. */
export interface SandboxCreateOptions extends ClientOptions {
  /** Template name, e.g. `'code-interpreter'` ({@link Sandbox.listTemplates} lists them). */
  template?: string;
  /** Template id; wins over `template` when both are given. Numbers are sent as strings. */
  templateId?: string | number;
  /** Region, e.g. `'us-east'`. */
  region?: string;
  /** The sandbox's lifetime in seconds: it is killed after this. Not the request timeout. */
  timeoutSeconds?: number;
  /** Whether the sandbox may reach the internet (server default: true). */
  internetAccess?: boolean;
  /** Environment variables set in the sandbox. Their values are never printed. */
  envVars?: Record<string, string>;
}

/** Options of {@link Sandbox.listTemplates}. */
export interface ListTemplatesOptions extends ClientOptions {
  /** Only templates of this category, e.g. `'development'`. */
  category?: string;
  /** Only templates of this language, e.g. `'python'`. */
  language?: string;
}

/**
 * Filters of {@link Sandbox.list} and {@link Sandbox.iter}. Checked before anything is sent:
 * an unknown `status` or a `limit` outside 1–100 is an {@link InvalidArgumentError}.
 */
export interface ListSandboxesOptions extends ClientOptions {
  /** Only sandboxes in this status. */
  status?: 'running' | 'stopped' | 'paused' | 'creating' | (string & {});
  /** Only sandboxes in this region, e.g. `'us-east'`. */
  region?: string;
  /**
   * Sandboxes per page, a whole number from 1 to 100 (default 100). For `list()` it is how
   * many come back; `iter()` goes through every page whatever the page size.
   */
  limit?: number;
}

/** Options of {@link Sandbox.healthCheck}. No API key is needed (none is sent). */
export interface HealthCheckOptions {
  /** The control plane URL. Default: `HOPX_BASE_URL`, then the config file, then `https://api.hopx.dev`. */
  baseURL?: string;
  /** The HTTP request timeout in milliseconds (default 10 000 for the health check). */
  requestTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Models

/** CPU, memory and disk of a running sandbox. */
export interface SandboxResources {
  vcpu?: number;
  /** Memory in MiB. */
  memoryMb?: number;
  /** Disk in MiB. */
  diskMb?: number;
}

/** What the control plane says about a sandbox. Absent values are left out. */
export interface SandboxInfo {
  sandboxId?: string;
  templateId?: string;
  templateName?: string;
  organizationId?: number;
  nodeId?: string;
  region?: string;
  /** `'running'`, `'paused'`, `'stopped'` or `'creating'`. */
  status?: string;
  /** The base URL of the sandbox's agent. */
  publicHost?: string;
  directUrl?: string;
  previewUrl?: string;
  resources?: SandboxResources;
  internetAccess?: boolean;
  /** Production (`true`) or test mode. */
  liveMode?: boolean;
  /** The sandbox's lifetime in seconds; absent when it never expires. */
  timeoutSeconds?: number;
  /** When the sandbox will be killed (ISO 8601, UTC); absent when it never expires. */
  expiresAt?: string;
  /** When it was created (ISO 8601, UTC). */
  createdAt?: string;
  /** The official SDK's alias of `expiresAt`. */
  endAt?: string;
  /** Always absent; kept for the official SDK's shape. */
  startedAt?: string;
}

/**
 * A sandbox's expiry at one moment ({@link Sandbox.getExpiryInfo}). A sandbox is expired from
 * the instant `expiresAt` is reached, and an expired sandbox is never "expiring soon".
 */
export interface ExpiryInfo {
  /** When the sandbox will be killed; `null` when it has no timeout. */
  expiresAt: Date | null;
  /** Whole seconds left, rounded down (negative once past); `null` without a timeout. */
  timeToExpiry: number | null;
  /** The expiry time has been reached. */
  isExpired: boolean;
  /** Not expired, and at most the threshold is left. */
  isExpiringSoon: boolean;
  /** The sandbox has a timeout at all. */
  hasTimeout: boolean;
}

/** CPU, memory and disk of a template. */
export interface TemplateResources {
  vcpu?: number;
  /** Memory in MiB. */
  memoryMb?: number;
  /** Disk in GiB. */
  diskGb?: number;
}

/** A template sandboxes are created from. Absent values are left out. */
export interface TemplateInfo {
  id?: string;
  /** The name used in `Sandbox.create({ template })`. */
  name?: string;
  displayName?: string;
  description?: string;
  category?: string;
  language?: string;
  icon?: string;
  defaultResources?: TemplateResources;
  minResources?: TemplateResources;
  maxResources?: TemplateResources;
  features: string[];
  tags: string[];
  popularityScore?: number;
  docsUrl?: string;
  isActive: boolean;
  isPublic?: boolean;
  /** `'pending'`, `'building'`, `'active'`, `'failed'` or `'archived'`. */
  status?: string;
  buildId?: string;
  organizationId?: string;
  /** RFC 3339, as sent by the server. */
  createdAt?: string;
  /** RFC 3339, as sent by the server. */
  updatedAt?: string;
  object?: string;
  requestId?: string;
}

// ---------------------------------------------------------------------------------------------
// Sandbox

declare global {
  interface SymbolConstructor {
    /** The method `await using` calls at the end of a block (as declared by `@types/node`). */
    readonly asyncDispose: unique symbol;
  }
}

/**
 * A HopX sandbox: an isolated cloud VM. Get one from {@link Sandbox.create},
 * {@link Sandbox.connect}, {@link Sandbox.list} or {@link Sandbox.iter}.
 *
 * Printing one (`String`, `util.inspect`, `JSON.stringify`) shows its id, status and template
 * only, from what the SDK last heard: it never makes a request.
 *
 * With `await using` (TypeScript 5.2+, Node 22+ natively), a sandbox made by `create` is
 * killed at the end of the block; one from `connect`, `list` or `iter` is left running:
 *
 * ```ts
 * await using sandbox = await Sandbox.create({ template: 'code-interpreter' });
 * ```
 */
export declare class Sandbox {
  private constructor();
  /**
   * Creates a sandbox (`POST /v1/sandboxes`; never sent twice).
   * @throws {InvalidArgumentError} without `template`/`templateId` (nothing is sent).
   * @throws {MissingApiKeyError | InvalidApiKeyError} without a usable key (nothing is sent).
   * @throws {TemplateNotFoundError} when the template does not exist; `suggestedTemplate`
   *   names the closest one.
   */
  static create(options: SandboxCreateOptions): Promise<Sandbox>;
  /**
   * Attaches to an existing sandbox (the official SDK's positional form): fetches its info,
   * resumes it if it is paused, and gets a fresh agent token. Leaving an `await using` block
   * does not kill a connected sandbox.
   * @param sandboxId The sandbox id.
   * @param apiKey The API key (default: `HOPX_API_KEY`, `.env`, config file).
   * @param baseURL The control plane URL (default: `HOPX_BASE_URL`, config file, `https://api.hopx.dev`).
   * @throws {ConflictError} when the sandbox is stopped (the hint says how to start it).
   * @throws {NotFoundError} when there is no such sandbox.
   * @throws {InvalidArgumentError} for an id that is not one (nothing is sent).
   */
  static connect(sandboxId: string, apiKey?: string, baseURL?: string): Promise<Sandbox>;
  /** Attaches to an existing sandbox, with the connection options as an object. */
  static connect(sandboxId: string, options?: ClientOptions): Promise<Sandbox>;
  /**
   * One page of sandboxes (`GET /v1/sandboxes`, one request). Each carries the info from the
   * list ({@link Sandbox.info}), so no request per sandbox is needed. Use {@link Sandbox.iter}
   * to go through more than one page.
   * @throws {InvalidArgumentError} for an unknown `status` or a `limit` outside 1–100.
   */
  static list(options?: ListSandboxesOptions): Promise<Sandbox[]>;
  /**
   * Every sandbox matching the filters, fetched page by page as the loop asks for more:
   * `for await (const sandbox of Sandbox.iter({ status: 'running' })) { … }`. Lazy: nothing
   * is sent before the first iteration (option errors also surface there).
   *
   * Unlike the official SDK, a server that says more pages follow without giving a
   * `next_cursor` (or gives the same one twice) ends the loop with a
   * {@link ResponseDecodeError} instead of requesting the same page forever; the sandboxes
   * yielded before it are correct.
   */
  static iter(options?: ListSandboxesOptions): AsyncGenerator<Sandbox, void, undefined>;
  /** Lists the templates sandboxes can be created from (`GET /v1/templates`). */
  static listTemplates(options?: ListTemplatesOptions): Promise<TemplateInfo[]>;
  /**
   * One template by name or id (`GET /v1/templates/{name}`), with every field.
   * @throws {TemplateNotFoundError} when there is none; `suggestedTemplate` names the closest.
   */
  static getTemplate(name: string, options?: ClientOptions): Promise<TemplateInfo>;
  /**
   * Deletes one of the organization's own templates (`DELETE /v1/templates/{id}`).
   * @throws {PermissionDeniedError} for a built-in public template (HTTP 403).
   * @throws {NotFoundError} when there is no such template.
   */
  static deleteTemplate(templateId: string, options?: ClientOptions): Promise<void>;
  /**
   * Asks the API whether it is up (`GET /health`) and returns its JSON, e.g. `{ status: 'ok' }`.
   * Needs no API key and sends none. Failures are the SDK's usual errors
   * ({@link NetworkError}, {@link ServerError}, …), not a generic "Health check failed".
   * @param baseURL The control plane URL (default: `HOPX_BASE_URL`, config file, `https://api.hopx.dev`).
   */
  static healthCheck(baseURL?: string): Promise<Record<string, unknown>>;
  /** The health check with options (`baseURL`, `requestTimeoutMs`). */
  static healthCheck(options?: HealthCheckOptions): Promise<Record<string, unknown>>;
  /** The sandbox id. */
  get sandboxId(): string;
  /**
   * What the control plane said last time this SDK asked (`create`, `list`, `iter`, or the
   * latest `getInfo`, `pause`, `resume`, `setTimeout`): no request. Not in the official SDK.
   */
  get info(): SandboxInfo;
  /** Fetches the sandbox's current state (`GET /v1/sandboxes/{id}`) and remembers it as {@link Sandbox.info}. */
  getInfo(): Promise<SandboxInfo>;
  /**
   * Deletes the sandbox (`DELETE /v1/sandboxes/{id}`): its processes and files are gone.
   * @throws {NotFoundError} when it is already gone.
   */
  kill(): Promise<void>;
  /**
   * Pauses a running sandbox (`POST /v1/sandboxes/{id}/pause`); {@link Sandbox.resume} continues it.
   * @throws {ConflictError} when it is not running.
   */
  pause(): Promise<void>;
  /**
   * Resumes a paused sandbox (`POST /v1/sandboxes/{id}/resume`).
   * @throws {ConflictError} when it is not paused.
   */
  resume(): Promise<void>;
  /**
   * Sets the sandbox's lifetime: it is killed `timeoutSeconds` from now
   * (`PUT /v1/sandboxes/{id}/timeout`).
   * @param timeoutSeconds A positive whole number of seconds.
   * @throws {InvalidArgumentError} for 0, a negative number, a fraction or NaN (nothing is sent).
   */
  setTimeout(timeoutSeconds: number): Promise<void>;
  /**
   * Gets a new agent token (`POST /v1/sandboxes/{id}/token/refresh`) and keeps it inside the
   * SDK: the token is never returned, printed or put in an error.
   */
  refreshToken(): Promise<void>;
  /**
   * Whole seconds until the sandbox is killed (negative once past), from one fresh
   * `getInfo`; `null` when it has no timeout.
   */
  getTimeToExpiry(): Promise<number | null>;
  /**
   * Whether at most `thresholdSeconds` are left before the sandbox is killed, from one fresh
   * `getInfo`. Always a boolean: `false` when it has no timeout and `false` once it has
   * expired (the official JavaScript SDK returns `null` without a timeout; this SDK returns
   * `false`, as the Python SDK does).
   * @param thresholdSeconds Zero or more seconds (default 300).
   * @throws {InvalidArgumentError} for a negative or non-finite threshold (nothing is sent).
   */
  isExpiringSoon(thresholdSeconds?: number): Promise<boolean>;
  /**
   * The sandbox's expiry, from one fresh `getInfo`. Unlike the official SDK this takes the
   * "expiring soon" threshold, and a sandbox counts as expired from the instant `expiresAt`
   * is reached.
   * @param thresholdSeconds Zero or more seconds (default 300).
   * @throws {InvalidArgumentError} for a negative or non-finite threshold (nothing is sent).
   */
  getExpiryInfo(thresholdSeconds?: number): Promise<ExpiryInfo>;
  /**
   * What `await using` calls at the end of the block: kills the sandbox if {@link Sandbox.create}
   * made it (one already gone counts as done) and leaves one from `connect`, `list` or `iter`
   * running. If the kill fails, the error is thrown: with `await using`, an error thrown by the
   * block itself is not lost, JavaScript throws a `SuppressedError` whose `error` is the kill's
   * error and whose `suppressed` is the block's.
   *
   * The key is `Symbol.asyncDispose` where the runtime defines it (Node 18.18+ and 20+, where it
   * equals `Symbol.for('nodejs.asyncDispose')`), else `Symbol.for('nodejs.asyncDispose')`.
   * Node 20 cannot parse `await using` itself; TypeScript 5.2+ compiles it for Node 20.
   */
  [Symbol.asyncDispose](): Promise<void>;
  /** `Sandbox { sandboxId: '…', status: '…', templateName: '…' }` (no request). */
  toString(): string;
  /** `{ sandboxId, status, templateName }` (no request). */
  toJSON(): { sandboxId: string; status?: string; templateName?: string };
}

export default Sandbox;

// ---------------------------------------------------------------------------------------------
// Errors

/** Fields of {@link HopxError}, also accepted by its constructor. */
export interface HopxErrorFields {
  /** The SDK's stable error code, e.g. `'authentication_error'`, `'api_key_wrong_prefix'`. */
  code?: string;
  /** The HTTP status, when the server answered. */
  status?: number;
  /** The request id (from the error body or `X-Request-ID`): quote it to support. */
  requestId?: string;
  /** The server's own error code, e.g. `'invalid_api_key'`. */
  serverCode?: string;
  /** How to fix the problem, when the SDK knows. */
  hint?: string;
  /** The server's structured `details`. */
  details?: Record<string, unknown>;
  /** How long the server asked to wait before retrying, in seconds (HTTP 429 and 503). */
  retryAfter?: number;
}

/**
 * The base class of every error the SDK throws. Its message, fields, `String()`,
 * `util.inspect()` and `JSON.stringify()` never contain the API key's secret, a sandbox token
 * or an environment variable's value.
 */
export declare class HopxError extends Error {
  /** `new HopxError(message, fields)`, or the official SDK's `(message, code, requestId, statusCode)`. */
  constructor(message: string, fields?: HopxErrorFields);
  constructor(message: string, code?: string, requestId?: string, statusCode?: number);
  readonly name: string;
  /** The SDK's stable error code, e.g. `'authentication_error'`, `'api_key_wrong_prefix'`. */
  code?: string;
  /** The HTTP status, when the server answered. */
  status?: number;
  /** Same as `status` (the official SDK's name). */
  readonly statusCode?: number;
  /** The request id (from the error body or `X-Request-ID`): quote it to support. */
  requestId?: string;
  /** The server's own error code, e.g. `'invalid_api_key'`. */
  serverCode?: string;
  /** How to fix the problem, when the SDK knows. */
  hint?: string;
  /** The server's structured `details`. */
  details?: Record<string, unknown>;
  /** How long the server asked to wait before retrying, in seconds (HTTP 429 and 503). */
  retryAfter?: number;
  toJSON(): { name: string; message: string } & HopxErrorFields;
}

/** The server answered with an error status. */
export declare class APIError extends HopxError {}
/** HTTP 401: the server did not accept the API key. */
export declare class AuthenticationError extends APIError {}
/** HTTP 401 with the server saying the token expired. */
export declare class TokenExpiredError extends AuthenticationError {}
/** HTTP 404. */
export declare class NotFoundError extends APIError {}
/** HTTP 404 for the template named in `Sandbox.create()` or `Sandbox.getTemplate()`. */
export declare class TemplateNotFoundError extends NotFoundError {
  /** The template that was asked for, when the server said (`details.template_name`). */
  readonly templateName: string | undefined;
  /** The templates that do exist, when the server listed them (`details.available`). */
  readonly availableTemplates: string[];
  /** The closest existing name (`details.suggested_template`); `undefined` when none is close. */
  readonly suggestedTemplate: string | undefined;
}
/** HTTP 400 or 422: the server rejected the request's content. */
export declare class ValidationError extends APIError {
  /** The request field the server named (`details.field`), if any. */
  readonly field: string | undefined;
}
/** HTTP 429; `retryAfter` is the wait the server asked for, in seconds. */
export declare class RateLimitError extends APIError {}
/** HTTP 403 naming a plan or quota limit. */
export declare class ResourceLimitError extends APIError {
  /** From `details`, when the server sent them. */
  readonly limit: number | undefined;
  readonly current: number | undefined;
  readonly available: number | undefined;
  readonly upgradeUrl: string | undefined;
}
/** HTTP 402: the organization has no credits left. */
export declare class PaymentRequiredError extends APIError {}
/** HTTP 403. */
export declare class PermissionDeniedError extends APIError {}
/** HTTP 409. */
export declare class ConflictError extends APIError {}
/** HTTP 410. */
export declare class GoneError extends APIError {}
/** HTTP 5xx. */
export declare class ServerError extends APIError {}
/** A success status with a body that is not what the API promises. */
export declare class ResponseDecodeError extends APIError {}
/** The connection could not be made, or broke. */
export declare class NetworkError extends HopxError {}
/** The request timeout passed before the server answered. */
export declare class TimeoutError extends NetworkError {}
/** The sandbox's agent reported an error. */
export declare class AgentError extends HopxError {}
export declare class FileNotFoundError extends AgentError {}
export declare class FileOperationError extends AgentError {}
export declare class CodeExecutionError extends AgentError {}
export declare class CommandExecutionError extends AgentError {}
export declare class DesktopNotAvailableError extends AgentError {}
/** The sandbox has expired. */
export declare class SandboxExpiredError extends HopxError {}
/** A template build failed. */
export declare class TemplateBuildError extends HopxError {}
/** The configuration (environment variables, config file) is not usable. */
export declare class ConfigurationError extends HopxError {}
/** No API key was found; the message lists every place that was looked in. Nothing was sent. */
export declare class MissingApiKeyError extends ConfigurationError {}
/** The API key is malformed (`code` says how); nothing was sent. */
export declare class InvalidApiKeyError extends ConfigurationError {}
/** An argument is not acceptable; nothing was sent. */
export declare class InvalidArgumentError extends HopxError {}
