// Type declarations of @hopx-ai/sdk (hand-written; js/index.d.mts is generated from this file).

/** The package version. */
export declare const version: string;

// ---------------------------------------------------------------------------------------------
// Logging

/** A log level, most important first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * One log record of the SDK. It never holds a header, a body, a key, a token, an environment
 * variable's value or a query string.
 */
export interface LogRecord {
  level: LogLevel;
  /** The part of the SDK that reported it, e.g. `'hopx::http'`. */
  target: string;
  /** What happened, in a few fixed words: `'request succeeded'`, `'request failed'`, `'retrying request'`, ... */
  message: string;
  /**
   * The event's fields, e.g. `{ method: 'GET', path: '/v1/templates', status: 500, attempt: 1,
   * elapsed_ms: 3, request_id: '-' }`; a retry has `wait_s` and `server_wait_s` (seconds).
   */
  fields: Record<string, string | number>;
  /** The record as one line: `'hopx: request failed method=GET path=/v1/templates ...'`. */
  line: string;
}

/**
 * Sends the SDK's log records at `level` and above (default `'info'`: retries and warnings;
 * `'debug'` adds one record per request) to `logger`, called on the JavaScript thread, a little
 * after the event (records are queued, never waited for; records still queued when the process
 * exits are lost). One logger per process: the last call wins. What the logger throws is
 * ignored.
 *
 * Logging is off by default. Without a logger, `HOPX_LOG=error|warn|info|debug|trace` (read
 * when the package loads) prints records to stderr as `<ISO time> <LEVEL> hopx: <message>
 * name=value ...`; `setLogger(null)` goes back to that (or to nothing).
 * @throws {InvalidArgumentError} for a logger that is not a function or an unknown level.
 */
export declare function setLogger(logger: ((record: LogRecord) => void) | null, level?: LogLevel): void;

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
  /**
   * The timeout of each HTTP attempt in milliseconds (default 60 000): a request that gets no
   * complete answer in time is a {@link TimeoutError} with `timeoutKind: 'request'` (retried
   * for GET, PUT and DELETE). Not the sandbox lifetime (`timeoutSeconds`), nor a code
   * execution's `timeout`.
   */
  requestTimeoutMs?: number;
  /**
   * How many times a failed request may be sent again: a whole number from 0 (send once) to
   * 10; default 3. Only requests that provably were not processed, or are safe to repeat
   * (GET, PUT, DELETE), are retried; a POST that may have been carried out never is.
   */
  maxRetries?: number;
  /**
   * The most one call may take, retries and waits included, in milliseconds (default 300 000).
   * When it runs out, or a wait before a retry would not fit in what is left, the call fails
   * at once with `timeoutKind: 'deadline'` (and the wait as `retryAfter`). A code execution
   * still gets its own `timeout`.
   */
  deadlineMs?: number;
  /**
   * A proxy URL for every request, e.g. `'http://user:pass@proxy:3128'` (its password never
   * appears in errors or logs). Default: `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` (lower case
   * first), minus the hosts in `NO_PROXY`; this option ignores those variables.
   */
  proxy?: string;
  /**
   * A PEM file of extra CA certificates to trust besides the system's (for a private CA or a
   * TLS-inspecting proxy). Default: `HOPX_CA_BUNDLE`, then `SSL_CERT_FILE`.
   */
  caBundle?: string;
  /**
   * `false` keeps every connection on HTTP/1.1. By default HTTP/2 is used when an HTTPS server
   * offers it (by ALPN).
   */
  http2?: boolean;
}

/**
 * Options of {@link Sandbox.withOptions}: the per-call settings, each kept as it was when not
 * given. Checked by the SDK (an {@link InvalidArgumentError}, nothing sent): timeouts must be
 * positive, `maxRetries` a whole number from 0 to 10.
 */
export interface CallOptions {
  /** The timeout of each HTTP attempt, in milliseconds (see {@link ClientOptions.requestTimeoutMs}). */
  requestTimeoutMs?: number;
  /** How many times a failed request may be sent again (see {@link ClientOptions.maxRetries}). */
  maxRetries?: number;
  /** The most one call may take, retries and waits included, in milliseconds. */
  deadlineMs?: number;
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
export interface HealthCheckOptions
  extends Pick<ClientOptions, 'maxRetries' | 'deadlineMs' | 'proxy' | 'caBundle' | 'http2'> {
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
// The data plane: options and results

/**
 * Options of {@link Sandbox.runCode}. Checked before anything is sent: a `timeout` that is not
 * a positive number of seconds (0 included, which the official SDK treats as "unset") is an
 * {@link InvalidArgumentError}.
 */
export interface RunCodeOptions {
  /** `'python'` (default), `'javascript'` (or `'node'`), `'bash'`, ... */
  language?: 'python' | 'javascript' | 'node' | 'bash' | (string & {});
  /**
   * Seconds the code may run (default 120); then it is killed and the call throws a
   * {@link CodeExecutionError} with code `'execution_timeout'`. The HTTP request is given 30 s
   * more, so that answer still arrives. Fractions are rounded up to whole seconds.
   */
  timeout?: number;
  /** Environment variables for this run only. Their values are never printed. */
  env?: Record<string, string>;
  /** The working directory (default `'/workspace'`). */
  workingDir?: string;
}

/**
 * Options of {@link Sandbox.runCodeBackground}. There is no `workingDir`: the agent runs
 * background code in a directory of its own (the official SDK sends one, which is ignored).
 */
export interface RunCodeBackgroundOptions {
  /** As for {@link RunCodeOptions.language}. */
  language?: 'python' | 'javascript' | 'node' | 'bash' | (string & {});
  /** Seconds before it is killed (default 300). */
  timeout?: number;
  /** Environment variables for this run only. Their values are never printed. */
  env?: Record<string, string>;
  /** A name to find it by in {@link Sandbox.listProcesses}. */
  name?: string;
}

/**
 * Options of {@link Commands.run} and {@link Commands.runBackground}.
 *
 * The default timeout is 120 s for both (the official JavaScript SDK uses 30 s for `run`,
 * 120 s for `runBackground`; its Python SDK 120 s for both).
 */
export interface CommandOptions {
  /** Seconds before the command is killed (default 120); must be positive. */
  timeout?: number;
  /** Environment variables for this command only. Their values are never printed. */
  env?: Record<string, string>;
  /** The working directory (default `'/workspace'`). */
  workingDir?: string;
  /** `run` only: start it in the background, like {@link Commands.runBackground}. */
  background?: boolean;
}

/** Options of {@link Files.write} and {@link Files.writeBytes}. */
export interface WriteOptions {
  /** The file's mode, octal digits such as `'0644'` (default) or `'0755'`. */
  mode?: string;
  /**
   * Only `true` (the default) is supported: a write always replaces an existing file, so
   * `false` is an {@link InvalidArgumentError} rather than being silently ignored.
   */
  overwrite?: boolean;
}

/** One rich output of an execution. */
export interface RichOutput {
  /**
   * The MIME type: `'image/png'`, `'image/svg+xml'`, `'text/html'`, `'text/markdown'`,
   * `'application/json'`, `'application/vnd.dataframe+json'` or `'text/plain'`.
   */
  type: string;
  /** As the agent sent it: base64 text for PNG, text for most types, JSON for JSON. */
  data: unknown;
}

/**
 * What {@link Sandbox.runCode} returns, in the official SDK's shape (snake_case fields plus
 * camelCase getters). An exception in the code is `success: false`, not a thrown error.
 */
export declare class ExecutionResult {
  private constructor();
  /** Whether the code ran without error. */
  success: boolean;
  /** What the code printed. */
  stdout: string;
  /** What it printed to stderr (the traceback, after an exception). */
  stderr: string;
  /** Its exit code (0 on success). */
  exit_code: number;
  /** Seconds it ran, as the agent measured; `undefined` when the agent did not say. */
  execution_time: number | undefined;
  /** When it ran, as the agent sent it. */
  timestamp: string | undefined;
  /** The language it ran as. */
  language: string | undefined;
  /** Every rich output, in the order PNG, SVG, HTML, Markdown, JSON, dataframe, text. */
  richOutputs: RichOutput[];
  /** The PNG output (base64), if any. */
  png: string | undefined;
  /** The SVG output, if any (the official SDK drops it). */
  svg: string | undefined;
  /** The HTML output, if any. */
  html: string | undefined;
  /** The Markdown output, if any (the official SDK drops it). */
  markdown: string | undefined;
  /** The JSON output, if any. */
  jsonOutput: unknown;
  /** The `text/plain` result, when it differs from stdout. */
  result: string | undefined;
  /** `exit_code`. */
  readonly exitCode: number;
  /** `execution_time`. */
  readonly executionTime: number | undefined;
  /** `richOutputs.length`. */
  readonly richCount: number;
  /** `!success`. */
  readonly failed: boolean;
  /** `richOutputs.length > 0`. */
  readonly hasRichOutput: boolean;
  /**
   * `ExecutionResult { success, exit_code, ..., stdout: <n chars>, stderr: <n chars>,
   * richOutputs: [types] }`: the outcome and how much output there is, never the output itself
   * (it may hold secrets or file contents). `util.inspect` prints the same; `JSON.stringify`
   * gives every field.
   */
  toString(): string;
}

/**
 * What a command did: the official raw `CommandResponse` fields (snake_case) plus camelCase
 * getters. A non-zero exit is `success: false`, not a thrown error. For a background command,
 * `process_id` is set and the output is empty.
 */
export declare class CommandResult {
  private constructor();
  stdout: string;
  stderr: string;
  exit_code: number;
  /** Seconds it ran. */
  execution_time: number | undefined;
  /** `exit_code === 0`. */
  success: boolean;
  /** The command line as the agent reports it. */
  command: string | undefined;
  /** Its process id inside the sandbox. */
  pid: number | undefined;
  /** For a background command: the id to list or kill it by. */
  process_id: string | undefined;
  /** `exit_code`. */
  readonly exitCode: number;
  /** `execution_time`. */
  readonly executionTime: number | undefined;
  /** `process_id`. */
  readonly processId: string | undefined;
  /**
   * `CommandResult { success, exit_code, ..., stdout: <n chars>, stderr: <n chars> }`: never the
   * output or the command line. `util.inspect` prints the same; `JSON.stringify` gives every field.
   */
  toString(): string;
}

/** A background execution just started ({@link Sandbox.runCodeBackground}). */
export interface BackgroundExecution {
  /** The id to kill it by ({@link Sandbox.killProcess}). */
  process_id: string;
  execution_id?: string;
  /** `'running'`, usually. */
  status?: string;
  name?: string;
  start_time?: string;
  /** `process_id` (not enumerable). */
  readonly processId: string;
  /** `execution_id` (not enumerable). */
  readonly executionId?: string;
  /** `start_time` (not enumerable). */
  readonly startTime?: string;
}

/** A background execution as {@link Sandbox.listProcesses} lists it. Absent values are left out. */
export interface ProcessInfo {
  process_id?: string;
  execution_id?: string;
  name?: string;
  /** `'running'`, `'completed'`, `'failed'` or `'killed'`. */
  status?: string;
  language?: string;
  start_time?: string;
  end_time?: string;
  exit_code?: number;
  /** Seconds it ran. */
  duration?: number;
  /** Its process id inside the sandbox. */
  pid?: number;
  /** `process_id` (not enumerable). */
  readonly processId?: string;
  /** `execution_id` (not enumerable). */
  readonly executionId?: string;
  /** `start_time` (not enumerable). */
  readonly startTime?: string;
  /** `end_time` (not enumerable). */
  readonly endTime?: string;
  /** `exit_code` (not enumerable). */
  readonly exitCode?: number;
}

/**
 * One entry of {@link Files.list}. Absent values are `undefined`. `isDir` and `modified` are
 * the official SDK's names (which, there, read fields the agent no longer sends).
 */
export declare class FileInfo {
  private constructor();
  name: string | undefined;
  /** Its full path in the sandbox. */
  path: string | undefined;
  /** Size in bytes. */
  size: number | undefined;
  isDirectory: boolean | undefined;
  /** Last modification time, as the agent sent it (RFC 3339). */
  modifiedTime: string | undefined;
  /** Its permissions, as the agent sent them (e.g. `'0644'` or `'-rw-r--r--'`). */
  permissions: string | undefined;
  /** `isDirectory`. */
  readonly isDir: boolean | undefined;
  /** `modifiedTime` (a string, not a `Date`). */
  readonly modified: string | undefined;
  /** `isDirectory === false`. */
  readonly isFile: boolean;
}

// ---------------------------------------------------------------------------------------------
// The data plane: resources

/**
 * The sandbox's files: {@link Sandbox.files}. Text and bytes take separate, byte-exact paths:
 * bytes are sent as base64 and read back raw, so no content is ever guessed to be base64 (a
 * file containing `test` reads back as `test`). Paths are inside the sandbox.
 *
 * Errors: {@link FileNotFoundError} for a missing path, {@link FileOperationError} for other
 * file problems (permissions, a directory where a file was expected, ...).
 */
export declare class Files {
  private constructor();
  /** A text file's contents. For binary files use {@link Files.readBytes}. */
  read(path: string): Promise<string>;
  /** A file's exact bytes. */
  readBytes(path: string): Promise<Buffer>;
  /**
   * Writes a file, creating its parent directories and replacing an existing file: a string is
   * written as text, a Buffer / typed array / ArrayBuffer as exact bytes.
   * @param options `{ mode }` (default `'0644'`), or the mode string itself.
   */
  write(
    path: string,
    content: string | Buffer | ArrayBufferView | ArrayBuffer,
    options?: WriteOptions | string,
  ): Promise<void>;
  /**
   * Writes exact bytes. The bytes are copied when the call is made, so the buffer may be
   * reused at once.
   */
  writeBytes(path: string, content: Buffer | ArrayBufferView | ArrayBuffer, options?: WriteOptions | string): Promise<void>;
  /** A directory's entries (default `'/workspace'`; the official SDK requires the path). */
  list(path?: string): Promise<FileInfo[]>;
  /**
   * Whether a file or directory exists. A failure (authentication, network, server) is
   * thrown, never turned into `false`.
   */
  exists(path: string): Promise<boolean>;
  /** Removes a file, or a directory and everything in it. */
  remove(path: string): Promise<void>;
  /** Creates a directory and its parents. */
  mkdir(path: string): Promise<void>;
  /**
   * Uploads the local file `localPath` to `remotePath` in the sandbox.
   * @throws {InvalidArgumentError} when the local file cannot be read (nothing is sent).
   */
  upload(localPath: string, remotePath: string): Promise<void>;
  /** The file's exact bytes (the official JavaScript SDK's form; same as {@link Files.readBytes}). */
  download(remotePath: string): Promise<Buffer>;
  /**
   * Downloads the file into the local file `localPath` (the Python SDK's form), replacing it
   * only once every byte arrived.
   */
  download(remotePath: string, localPath: string): Promise<void>;
  /** `Files { sandboxId: '…' }`. */
  toString(): string;
  toJSON(): { sandboxId: string };
}

/**
 * Shell commands in the sandbox: {@link Sandbox.commands}. Each command runs as
 * `bash -c <command>`, so pipes, globs, `&&` and redirections work.
 */
export declare class Commands {
  private constructor();
  /**
   * Runs a command and waits for it. A non-zero exit is `success: false`, not a thrown error.
   * With `background: true` it is {@link Commands.runBackground}.
   * @throws {CommandExecutionError} when the agent could not run it (e.g. it timed out).
   */
  run(command: string, options?: CommandOptions): Promise<CommandResult>;
  /** Starts a command in the background; the result's `process_id` names it. */
  runBackground(command: string, options?: Omit<CommandOptions, 'background'>): Promise<CommandResult>;
  /** `Commands { sandboxId: '…' }`. */
  toString(): string;
  toJSON(): { sandboxId: string };
}

/**
 * The sandbox's environment variables: {@link Sandbox.env}. Writes use the agent's own verbs
 * (merge for `set`/`update`/`delete`, replace for `setAll`, delete for `clear`), never a
 * read-modify-write (which, in the official SDK, races with other writers and can write masked
 * values back over secrets). Values are never printed.
 */
export declare class EnvironmentVariables {
  private constructor();
  /** Every variable, as `{ NAME: value }`. */
  getAll(): Promise<Record<string, string>>;
  /** One variable's value, or `undefined` when it is not set. */
  get(key: string): Promise<string | undefined>;
  /** Sets one variable, keeping the others. */
  set(key: string, value: string): Promise<void>;
  /** Sets these variables, keeping the others. */
  update(vars: Record<string, string>): Promise<void>;
  /** Replaces every variable with these. */
  setAll(vars: Record<string, string>): Promise<void>;
  /** Deletes one variable, leaving the others untouched. */
  delete(key: string): Promise<void>;
  /** Deletes every variable. */
  clear(): Promise<void>;
  /** `EnvironmentVariables { sandboxId: '…' }` (never a value). */
  toString(): string;
  toJSON(): { sandboxId: string };
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
  /**
   * This sandbox with other retry and timeout settings for the calls made through the
   * returned handle, including its `files`, `commands` and `env`:
   * `await sandbox.withOptions({ requestTimeoutMs: 5000, maxRetries: 0 }).files.read(path)`.
   * The new handle shares the sandbox's state and token with this one, and leaving an
   * `await using` block with it kills the sandbox only if this one would (a sandbox from
   * {@link Sandbox.create}). No request is made.
   * @throws {InvalidArgumentError} for a timeout that is not positive or a `maxRetries` that
   *   is not a whole number from 0 to 10.
   */
  withOptions(options: CallOptions): Sandbox;
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
   * Runs code and waits for it (never sent twice: a connection lost after sending is a
   * {@link NetworkError}, not a second run). An exception in the code is `success: false`,
   * not a thrown error.
   * @throws {CodeExecutionError} with `code === 'execution_timeout'` when `timeout` passed.
   * @throws {InvalidArgumentError} for an empty language or a timeout that is not a positive
   *   number (nothing is sent).
   */
  runCode(code: string, options?: RunCodeOptions): Promise<ExecutionResult>;
  /** Starts code in the background and returns at once. */
  runCodeBackground(code: string, options?: RunCodeBackgroundOptions): Promise<BackgroundExecution>;
  /** The background executions. */
  listProcesses(): Promise<ProcessInfo[]>;
  /** Kills a background execution by its `process_id`. */
  killProcess(processId: string): Promise<void>;
  /**
   * The sandbox's files. Synchronous and usable on every Sandbox, including those from
   * `list()` and `iter()` (the official SDK throws until an async call happened).
   */
  get files(): Files;
  /** Shell commands in the sandbox (usable on every Sandbox). */
  get commands(): Commands;
  /** The sandbox's environment variables (usable on every Sandbox). */
  get env(): EnvironmentVariables;
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
  /** How many times the request was sent (default 0). */
  attempts?: number;
  /** Whether the server may have carried the request out (default false). */
  maybeProcessed?: boolean;
  /** Which timeout fired (default null). */
  timeoutKind?: TimeoutKind | null;
}

/**
 * Which of the separate timeouts fired: `'connect'` (no connection within 10 s; nothing was
 * sent), `'request'` (one attempt got no complete answer within `requestTimeoutMs`),
 * `'deadline'` (the whole call ran out of `deadlineMs`), `'execution'` (the sandbox stopped
 * the code when its `timeout` passed).
 */
export type TimeoutKind = 'connect' | 'request' | 'deadline' | 'execution';

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
  /**
   * How long the server asked to wait before retrying, in seconds (HTTP 429 and 503), or the
   * wait the SDK would have needed when it gave up because the wait did not fit in the deadline.
   */
  retryAfter?: number;
  /**
   * How many times the request was sent: 0 when the error came before anything was sent (a
   * bad argument, a missing key), more than 1 after retries.
   */
  attempts: number;
  /**
   * True when the server may have carried the request out although the call failed (a POST
   * whose connection broke or timed out, or that got a 500/502/504). It was not sent again:
   * check before repeating it (for a create: {@link Sandbox.list}).
   */
  maybeProcessed: boolean;
  /** Which timeout fired, for {@link TimeoutError} and execution timeouts; else `null`. */
  timeoutKind: TimeoutKind | null;
  /**
   * `{ name, message, ...fields }`: the fields that are set; `attempts`, `maybeProcessed` and
   * `timeoutKind` only when they are not 0, false or null.
   */
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
/**
 * A timeout passed before the server answered: `timeoutKind` says which (`'connect'`,
 * `'request'` or `'deadline'`).
 */
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
