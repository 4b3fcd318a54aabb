// Shared by the `berth mcp` end-to-end tests (and bench/mcp_bench.mjs): a private berthd, the
// official MCP TypeScript SDK client on `berth mcp --socket <it>`, a raw JSON-lines peer for
// what the SDK hides (ids, cancellation, progress after the reply, stdout bytes), berthd's own
// JSON-RPC for its metrics, and the runtime options the integration tests use.
//
// Paths come from the environment ctest sets (tests/mcp_client/CMakeLists.txt): BERTH_BIN,
// BERTHD_BIN, BERTH_PLUGIN_PATH. Run by hand, they default to <repo>/build.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Ajv2020Module from 'ajv/dist/2020.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
const buildDir = process.env.BERTH_BUILD_DIR ?? path.join(repoRoot, 'build');
export const BERTH_BIN = process.env.BERTH_BIN ?? path.join(buildDir, 'bin', 'berth');
export const BERTHD_BIN = process.env.BERTHD_BIN ?? path.join(buildDir, 'bin', 'berthd');
export const PLUGIN_PATH =
    process.env.BERTH_PLUGIN_PATH ?? path.join(buildDir, 'lib', 'berth', 'plugins');

// The defaults match scripts/runtime-env.sh (and tests/support/test_support.cpp).
export const TEST_IMAGE = process.env.BERTH_TEST_IMAGE ?? 'localhost/berth-busybox:latest';
export const CONTAINERD_ADDRESS =
    process.env.BERTH_CONTAINERD_ADDRESS ?? '/run/berth/containerd/containerd.sock';
export const CONTAINERD_NAMESPACE = process.env.BERTH_CONTAINERD_NAMESPACE ?? 'berth';
export const LXC_TEMPLATE = process.env.BERTH_LXC_TEMPLATE ?? 'berth-tmpl-busybox';
export const IN_CI = process.env.CI === 'true';

export const CLIENT_INFO = { name: 'berth-mcp-tests', version: '0.0.0' };
export const LEGACY_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
export const LATEST_LEGACY = '2025-11-25';
export const V2026 = '2026-07-28';
export const META_2026 = {
    'io.modelcontextprotocol/protocolVersion': V2026,
    'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
    'io.modelcontextprotocol/clientCapabilities': {},
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Resolves with fn's value, or rejects naming what did not happen within ms.
export function within(ms, promise, what) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
        }),
    ]).finally(() => clearTimeout(timer));
}

// Polls fn until it returns a truthy value; throws with the last value after ms.
export async function eventually(fn, ms, what, every = 20) {
    const end = Date.now() + ms;
    let last;
    for (;;) {
        last = await fn();
        if (last) return last;
        if (Date.now() > end) throw new Error(`${what}: not true within ${ms} ms (last: ${JSON.stringify(last)})`);
        await sleep(every);
    }
}

function pidAlive(pid) {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// berthd

export class Daemon {
    constructor({ config = { health_interval_s: 1 }, env = {} } = {}) {
        this.dir = mkdtempSync(path.join(os.tmpdir(), 'berth-mcp-test-'));
        this.socket = path.join(this.dir, 'berthd.sock');
        this.stateDir = path.join(this.dir, 'state');
        this.configFile = path.join(this.dir, 'config.json');
        writeFileSync(this.configFile, JSON.stringify(config));
        this.extraEnv = env;
        this.logText = '';
        this.proc = null;
    }

    env() {
        return {
            ...process.env,
            BERTH_PLUGIN_PATH: PLUGIN_PATH,
            // Only the build's plugins, whatever is installed on the machine.
            BERTH_PLUGIN_SYSTEM_PATH: '',
            // The containerd plugin reclaims on the default address and namespace: the test ones.
            CONTAINERD_ADDRESS,
            CONTAINERD_NAMESPACE,
            ...this.extraEnv,
        };
    }

    async start() {
        assert.ok(existsSync(BERTHD_BIN), `no berthd at ${BERTHD_BIN} (build first)`);
        this.proc = spawn(
            BERTHD_BIN,
            ['--socket', this.socket, '--state-dir', this.stateDir, '--config', this.configFile,
             '--log-level', 'debug'],
            { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const keep = (d) => {
            this.logText += d.toString();
            if (this.logText.length > 4_000_000) this.logText = this.logText.slice(-2_000_000);
        };
        this.proc.stdout.on('data', keep);
        this.proc.stderr.on('data', keep);
        this.exited = new Promise((resolve) => this.proc.once('exit', (code, sig) => resolve({ code, sig })));
        // A test process that ends without stop() (an uncaught error) takes its berthd along.
        const proc = this.proc;
        const dir = this.dir;
        const reap = () => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
            rmSync(dir, { recursive: true, force: true });
        };
        process.once('exit', reap);
        this.exited.then(() => process.removeListener('exit', reap));
        const end = Date.now() + 10_000;
        while (Date.now() < end) {
            if (this.proc.exitCode !== null || this.proc.signalCode !== null) break;
            try {
                await this.rpc('metrics.get', {}, 1000);
                return this;
            } catch {
                await sleep(50);
            }
        }
        throw new Error(`berthd did not come up on ${this.socket}; its log:\n${this.log()}`);
    }

    log() {
        return this.logText.slice(-20_000);
    }

    // One JSON-RPC call on berthd's own socket (newline-delimited JSON).
    rpc(method, params = {}, timeoutMs = 30_000) {
        return new Promise((resolve, reject) => {
            const sock = net.createConnection(this.socket);
            let buf = '';
            const timer = setTimeout(() => {
                sock.destroy();
                reject(new Error(`berthd ${method}: no reply within ${timeoutMs} ms`));
            }, timeoutMs);
            sock.on('error', (e) => {
                clearTimeout(timer);
                reject(e);
            });
            sock.on('connect', () => {
                sock.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) + '\n');
            });
            sock.on('data', (d) => {
                buf += d.toString();
                const nl = buf.indexOf('\n');
                if (nl < 0) return;
                clearTimeout(timer);
                sock.destroy();
                const msg = JSON.parse(buf.slice(0, nl));
                if (msg.error) reject(new Error(`berthd ${method}: ${JSON.stringify(msg.error)}`));
                else resolve(msg.result);
            });
        });
    }

    async metrics() {
        return (await this.rpc('metrics.get', {})).text;
    }

    // The value of an unlabelled gauge in berthd's metrics.
    async metric(name) {
        const text = await this.metrics();
        const m = text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
        assert.ok(m, `no ${name} in berthd's metrics:\n${text}`);
        return Number(m[1]);
    }

    async stop(timeoutMs = 15_000) {
        if (!this.proc) return;
        const p = this.proc;
        this.proc = null;
        if (p.exitCode === null && p.signalCode === null) {
            p.kill('SIGTERM');
            let timer;
            const done = await Promise.race([
                this.exited.then(() => true),
                new Promise((r) => { timer = setTimeout(() => r(false), timeoutMs); }),
            ]);
            clearTimeout(timer);
            if (!done) {
                p.kill('SIGKILL');
                await this.exited;
                throw new Error(`berthd did not exit within ${timeoutMs} ms of SIGTERM; log:\n${this.log()}`);
            }
        }
        rmSync(this.dir, { recursive: true, force: true });
    }
}

export async function startDaemon(opts) {
    return new Daemon(opts).start();
}

// ---------------------------------------------------------------------------------------------
// berth mcp

// The environment `berth mcp` gets: all of ours (the SDK's default passes only HOME, PATH, ...).
export function mcpEnv(extra = {}) {
    return { ...process.env, BERTH_PLUGIN_PATH: PLUGIN_PATH, ...extra };
}

export function mcpArgs(daemon, extra = []) {
    return ['mcp', '--socket', daemon.socket, '--no-autostart', ...extra];
}

// An SDK client connected to a fresh `berth mcp`. stderr is collected for failure messages.
export async function connect(daemon, { args = [], env = {}, clientOptions = {} } = {}) {
    const transport = new StdioClientTransport({
        command: BERTH_BIN,
        args: mcpArgs(daemon, args),
        env: mcpEnv(env),
        stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr.on('data', (d) => { stderr += d.toString(); });
    const client = new Client(CLIENT_INFO, { capabilities: {}, ...clientOptions });
    const errors = [];
    client.onerror = (e) => errors.push(e);
    try {
        await within(10_000, client.connect(transport), 'initialize through the SDK');
    } catch (e) {
        await transport.close().catch(() => {});
        e.message += `\nberth mcp stderr:\n${stderr}\nberthd log tail:\n${daemon.log().slice(-3000)}`;
        throw e;
    }
    return {
        client,
        transport,
        errors,
        pid: transport.pid,
        stderr: () => stderr,
        close: () => client.close(),
    };
}

// A `berth mcp` spoken to line by line: every stdout line is kept (and must be JSON-RPC).
export class RawMcp {
    constructor(daemon, { args = [], env = {} } = {}) {
        this.proc = spawn(BERTH_BIN, mcpArgs(daemon, args), {
            env: mcpEnv(env),
            stdio: ['pipe', 'pipe', 'pipe'],
        });
        this.pid = this.proc.pid;
        this.stdoutBytes = [];
        this.lines = [];      // every stdout line, as text
        this.messages = [];   // [{at: ms, msg}] for every line that parsed
        this.badLines = [];   // lines that were not JSON
        this.stderrText = '';
        this.waiters = [];
        this.closed = false;
        let pending = Buffer.alloc(0);
        this.proc.stdout.on('data', (chunk) => {
            this.stdoutBytes.push(chunk);
            pending = Buffer.concat([pending, chunk]);
            let nl;
            while ((nl = pending.indexOf(0x0a)) >= 0) {
                const line = pending.subarray(0, nl).toString('utf8');
                pending = pending.subarray(nl + 1);
                this.lines.push(line);
                let msg;
                try {
                    msg = JSON.parse(line);
                } catch {
                    this.badLines.push(line);
                    continue;
                }
                this.messages.push({ at: Date.now(), msg });
                this.wake();
            }
        });
        this.proc.stderr.on('data', (d) => { this.stderrText += d.toString(); });
        this.exited = new Promise((resolve) => this.proc.once('exit', (code, sig) => {
            this.closed = true;
            this.wake();
            resolve({ code, sig });
        }));
        this.proc.stdin.on('error', () => {});
    }

    wake() {
        const ws = this.waiters;
        this.waiters = [];
        for (const w of ws) w();
    }

    send(obj) {
        this.proc.stdin.write(JSON.stringify(obj) + '\n');
    }

    sendLine(text) {
        this.proc.stdin.write(text + '\n');
    }

    request(id, method, params) {
        const msg = { jsonrpc: '2.0', id, method };
        if (params !== undefined) msg.params = params;
        this.send(msg);
    }

    notify(method, params) {
        const msg = { jsonrpc: '2.0', method };
        if (params !== undefined) msg.params = params;
        this.send(msg);
    }

    // The first message (from the start) for which pred holds, within ms.
    async waitFor(pred, ms, what) {
        const end = Date.now() + ms;
        for (;;) {
            const hit = this.messages.find(({ msg }) => pred(msg));
            if (hit) return hit.msg;
            if (this.closed) throw new Error(`${what}: berth mcp exited first; stderr:\n${this.stderrText}`);
            const left = end - Date.now();
            if (left <= 0) {
                throw new Error(`${what}: nothing within ${ms} ms; got:\n` +
                    this.lines.slice(-10).join('\n') + `\nstderr:\n${this.stderrText}`);
            }
            await new Promise((resolve) => {
                const t = setTimeout(resolve, left);
                this.waiters.push(() => { clearTimeout(t); resolve(); });
            });
        }
    }

    reply(id, ms = 10_000) {
        return this.waitFor((m) => m.id === id && ('result' in m || 'error' in m), ms, `reply to id ${JSON.stringify(id)}`);
    }

    async call(id, method, params, ms = 10_000) {
        this.request(id, method, params);
        return this.reply(id, ms);
    }

    async initialize(version = LATEST_LEGACY, id = 'init') {
        const r = await this.call(id, 'initialize', {
            protocolVersion: version, capabilities: {}, clientInfo: CLIENT_INFO,
        });
        assert.ok(r.result, `initialize failed: ${JSON.stringify(r)}`);
        this.notify('notifications/initialized');
        return r.result;
    }

    stdout() {
        return Buffer.concat(this.stdoutBytes);
    }

    async close() {
        if (this.closed) return;
        this.proc.stdin.end();
        let timer;
        const done = await Promise.race([
            this.exited.then(() => true),
            new Promise((r) => { timer = setTimeout(() => r(false), 3000); }),
        ]);
        clearTimeout(timer);
        if (!done) {
            this.proc.kill('SIGTERM');
            await within(5000, this.exited, 'berth mcp to exit on SIGTERM').catch(() => {
                this.proc.kill('SIGKILL');
            });
        }
    }
}

// Every stdout line a JSON-RPC 2.0 message, and the bytes valid UTF-8.
export function assertOnlyProtocol(raw) {
    const bytes = raw.stdout();
    assert.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes),
        'stdout of berth mcp is not valid UTF-8');
    assert.deepEqual(raw.badLines, [], 'stdout lines of berth mcp that are not JSON');
    if (bytes.length > 0) assert.equal(bytes[bytes.length - 1], 0x0a, 'stdout ends mid-line');
    for (const { msg } of raw.messages) {
        assert.equal(msg.jsonrpc, '2.0', `not JSON-RPC 2.0: ${JSON.stringify(msg).slice(0, 300)}`);
        const isResponse = 'id' in msg && (('result' in msg) !== ('error' in msg)) && !('method' in msg);
        const isNotificationOrRequest = typeof msg.method === 'string';
        assert.ok(isResponse || isNotificationOrRequest,
            `not a JSON-RPC request, notification or response: ${JSON.stringify(msg).slice(0, 300)}`);
    }
}

// ---------------------------------------------------------------------------------------------
// Tools

// callTool through the SDK; structuredContent checked present and not an error.
export async function tool(conn, name, args = {}, options = {}) {
    const r = await conn.client.callTool({ name, arguments: args }, undefined, options);
    assert.ok(!r.isError, `${name} ${JSON.stringify(args).slice(0, 300)} failed: ${JSON.stringify(r.content).slice(0, 2000)}`);
    assert.ok(r.structuredContent, `${name}: no structuredContent: ${JSON.stringify(r).slice(0, 1000)}`);
    return r.structuredContent;
}

// A result's text content, joined.
export function resultText(r) {
    return (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

// Our own schema validation (the SDK's validator is strict: false, validateSchema: false):
// the outputSchema must itself be a valid JSON Schema, and structuredContent must match it.
const addFormats = addFormatsModule.default ?? addFormatsModule;
const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
export function makeValidator(schema) {
    const uses2020 = typeof schema.$schema === 'string' && schema.$schema.includes('2020-12');
    const ajv = uses2020
        ? new Ajv2020({ strict: false, allErrors: true, validateSchema: true })
        : new Ajv({ strict: false, allErrors: true, validateSchema: true });
    addFormats(ajv);
    const ok = ajv.validateSchema(schema);
    assert.ok(ok, `not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}\n${JSON.stringify(schema)}`);
    const validate = ajv.compile(schema);
    return (value) => {
        const good = validate(value);
        return { good, errors: good ? '' : ajv.errorsText(validate.errors) };
    };
}

// ---------------------------------------------------------------------------------------------
// Sessions

// Opens a local session running argv; returns its id.
export async function localSession(conn, command, extra = {}) {
    const s = await tool(conn, 'console_create_session', { runtime: 'local', command, ...extra });
    assert.equal(typeof s.session, 'string', JSON.stringify(s));
    return s.session;
}

// Reads pages from cursor until the session has ended and nothing is left; returns
// {pages, next_cursor, last}. check(page) is called on every page.
export async function readAll(conn, session, { cursor = 0, encoding = 'text', max_bytes, view, check } = {}) {
    const pages = [];
    let last;
    for (let i = 0; i < 100_000; ++i) {
        const args = { session, cursor, encoding };
        if (max_bytes !== undefined) args.max_bytes = max_bytes;
        if (view !== undefined) args.view = view;
        last = await tool(conn, 'console_get_output', args);
        assert.equal(last.cursor, cursor, `page asked from ${cursor} starts at ${last.cursor}`);
        assert.ok(last.next_cursor >= cursor, JSON.stringify(last).slice(0, 500));
        check?.(last);
        pages.push(last);
        const progressed = last.next_cursor > cursor;
        cursor = last.next_cursor;
        if (!progressed) {
            if (last.state !== 'running' && cursor >= last.end_offset) break;
            await sleep(20);
        }
    }
    return { pages, next_cursor: cursor, last };
}

// ---------------------------------------------------------------------------------------------
// Runtimes

export function onPath(binary) {
    try {
        execFileSync('sh', ['-c', `command -v "${binary}"`], { stdio: 'ignore' });
        return true;
    } catch {
        return false;
    }
}

// console_create_session arguments for a shell in each runtime.
export function shellIn(runtime) {
    switch (runtime) {
    case 'local':
        return { runtime: 'local', command: ['sh'] };
    case 'podman':
        return { runtime: 'podman', image: TEST_IMAGE, command: ['sh'] };
    case 'containerd':
        return {
            runtime: 'containerd', image: TEST_IMAGE, command: ['sh'],
            options: { address: CONTAINERD_ADDRESS, namespace: CONTAINERD_NAMESPACE },
        };
    case 'lxc':
        return { runtime: 'lxc', template: LXC_TEMPLATE, command: ['sh'] };
    default:
        throw new Error(runtime);
    }
}

export const RUNTIME_BINARY = { local: 'sh', podman: 'podman', containerd: 'ctr', lxc: 'lxc-attach' };

// In a test: stop here unless the runtime is usable. Under CI=true a missing runtime fails the
// test; elsewhere it is skipped with a message saying why. health is console_runtimes' entry.
export function requireRuntime(t, runtime, health) {
    let missing = '';
    const bin = RUNTIME_BINARY[runtime];
    if (!onPath(bin)) missing = `${bin} is not installed: run ./scripts/setup-runtimes.sh`;
    else if (!health) missing = `berthd has no '${runtime}' runtime (plugin not built or not loaded)`;
    else if (['unhealthy', 'undetected'].includes(health.health?.state)) {
        missing = `runtime '${runtime}' is ${health.health.state}: ${health.health.detail ?? ''}`;
    }
    if (!missing) return true;
    if (IN_CI) assert.fail(`${missing} (required when CI=true)`);
    t.skip(`${missing} (a failure, not a skip, when CI=true)`);
    return false;
}

export function tempDir(prefix = 'berth-mcp-data-') {
    const d = mkdtempSync(path.join(os.tmpdir(), prefix));
    mkdirSync(d, { recursive: true });
    return d;
}

export { pidAlive };
