// The MCP handshake of `berth mcp` at every protocol version it speaks, 2026-07-28's stateless
// requests, what a request before initialize gets, and what tools/list declares.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
    startDaemon, connect, RawMcp, assertOnlyProtocol, LEGACY_VERSIONS, LATEST_LEGACY, V2026,
    META_2026, CLIENT_INFO, eventually,
} from './harness.mjs';

let daemon;
before(async () => { daemon = await startDaemon(); });
after(async () => { await daemon?.stop(); });

const EXPECTED_TOOLS = [
    'console_create_session', 'console_send_input', 'console_send_key', 'console_get_output',
    'console_wait_for_output', 'console_execute_command', 'console_stop_session',
    'console_list_sessions', 'console_resize', 'console_signal', 'console_runtimes',
];
const READ_ONLY = ['console_get_output', 'console_wait_for_output', 'console_list_sessions', 'console_runtimes'];
const DESTRUCTIVE = ['console_send_input', 'console_send_key', 'console_stop_session'];

async function withRaw(fn, opts) {
    const raw = new RawMcp(daemon, opts);
    try {
        await fn(raw);
        assertOnlyProtocol(raw);
    } finally {
        await raw.close();
    }
}

test('the SDK client initializes at its latest version (2025-11-25) and lists tools', async () => {
    const conn = await connect(daemon);
    try {
        const info = conn.client.getServerVersion();
        assert.equal(typeof info?.name, 'string', JSON.stringify(info));
        assert.ok(conn.client.getServerCapabilities()?.tools, 'no tools capability');
        const { tools } = await conn.client.listTools();
        assert.ok(tools.length > 0);
        assert.deepEqual(conn.errors, []);
    } finally {
        await conn.close();
    }
});

for (const version of LEGACY_VERSIONS) {
    test(`initialize at ${version} is answered with ${version}`, async () => {
        await withRaw(async (raw) => {
            const r = await raw.call(1, 'initialize', {
                protocolVersion: version, capabilities: {}, clientInfo: CLIENT_INFO,
            });
            assert.ok(r.result, JSON.stringify(r));
            assert.equal(r.result.protocolVersion, version, JSON.stringify(r.result));
            assert.ok(r.result.capabilities?.tools, JSON.stringify(r.result));
            assert.equal(typeof r.result.serverInfo?.name, 'string', JSON.stringify(r.result));
            raw.notify('notifications/initialized');
            const l = await raw.call(2, 'tools/list', {});
            assert.ok(Array.isArray(l.result?.tools) && l.result.tools.length > 0, JSON.stringify(l));
            const p = await raw.call(3, 'ping');
            assert.deepEqual(p.result, {}, JSON.stringify(p));
        });
    });
}

test('initialize at an unknown version (1999-01-01) is answered with 2025-11-25', async () => {
    await withRaw(async (raw) => {
        const r = await raw.call(1, 'initialize', {
            protocolVersion: '1999-01-01', capabilities: {}, clientInfo: CLIENT_INFO,
        });
        assert.equal(r.result?.protocolVersion, LATEST_LEGACY, JSON.stringify(r));
    });
});

test('2026-07-28: server/discover, then tools/list and tools/call without initialize', async () => {
    await withRaw(async (raw) => {
        const d = await raw.call('discover-1', 'server/discover', { _meta: META_2026 });
        assert.ok(d.result, JSON.stringify(d));
        assert.equal(d.result.resultType, 'complete', JSON.stringify(d.result));
        assert.ok(d.result.supportedVersions?.includes(V2026), JSON.stringify(d.result));
        assert.ok(d.result.capabilities?.tools, JSON.stringify(d.result));

        const l = await raw.call('list-1', 'tools/list', { _meta: META_2026 });
        assert.ok(l.result, JSON.stringify(l));
        assert.equal(l.result.resultType, 'complete', JSON.stringify(l.result).slice(0, 500));
        assert.deepEqual(l.result.tools.map((t) => t.name).sort(), [...EXPECTED_TOOLS].sort());

        const c = await raw.call('call-1', 'tools/call', {
            name: 'console_runtimes', arguments: {}, _meta: META_2026,
        });
        assert.ok(c.result, JSON.stringify(c));
        assert.equal(c.result.resultType, 'complete', JSON.stringify(c.result).slice(0, 500));
        assert.notEqual(c.result.isError, true, JSON.stringify(c.result));
        assert.ok(Array.isArray(c.result.structuredContent?.runtimes), JSON.stringify(c.result));
    });
});

test('2026-07-28: an unsupported _meta version gets -32022 with supported and requested', async () => {
    await withRaw(async (raw) => {
        const meta = { ...META_2026, 'io.modelcontextprotocol/protocolVersion': '1900-01-01' };
        for (const [id, method] of [[1, 'tools/list'], [2, 'server/discover']]) {
            const r = await raw.call(id, method, { _meta: meta });
            assert.equal(r.error?.code, -32022, `${method}: ${JSON.stringify(r)}`);
            assert.ok(r.error.data?.supported?.includes(V2026), JSON.stringify(r.error));
            assert.equal(r.error.data?.requested, '1900-01-01', JSON.stringify(r.error));
        }
    });
});

test('2026-07-28: a request without the required clientCapabilities is rejected with -32602', async () => {
    await withRaw(async (raw) => {
        const r = await raw.call(1, 'tools/list', {
            _meta: { 'io.modelcontextprotocol/protocolVersion': V2026 },
        });
        assert.equal(r.error?.code, -32602, JSON.stringify(r));
    });
});

test('2026-07-28: a cancelled stateless call gets no reply', async () => {
    await withRaw(async (raw) => {
        const c = await raw.call(1, 'tools/call', {
            name: 'console_create_session', arguments: { command: ['cat'] }, _meta: META_2026,
        });
        const session = c.result?.structuredContent?.session;
        assert.ok(session, JSON.stringify(c));
        raw.request(2, 'tools/call', {
            name: 'console_wait_for_output', arguments: { session, literal: 'never', timeout_ms: 30_000 },
            _meta: META_2026,
        });
        await eventually(async () => (await daemon.metric('berthd_waiting_calls')) >= 1, 5000, 'the wait reached berthd');
        raw.notify('notifications/cancelled', { requestId: 2 });
        await eventually(async () => (await daemon.metric('berthd_waiting_calls')) === 0, 1000, 'berthd stopped waiting');
        const l = await raw.call(3, 'tools/list', { _meta: META_2026 });
        assert.ok(l.result, JSON.stringify(l).slice(0, 300));
        await new Promise((r) => setTimeout(r, 1000));
        assert.deepEqual(raw.messages.filter(({ msg }) => msg.id === 2), []);
        await raw.call(4, 'tools/call', {
            name: 'console_stop_session', arguments: { session }, _meta: META_2026,
        });
    });
});

// 2026-07-28 schema: tools/list is a CacheableResult (ttlMs and cacheScope required).
test('2026-07-28: tools/list carries ttlMs and cacheScope', async () => {
    await withRaw(async (raw) => {
        const l = await raw.call(1, 'tools/list', { _meta: META_2026 });
        assert.ok(l.result, JSON.stringify(l));
        assert.equal(typeof l.result.ttlMs, 'number', `no ttlMs: ${Object.keys(l.result)}`);
        assert.ok(['public', 'private'].includes(l.result.cacheScope), `cacheScope: ${l.result.cacheScope}`);
    });
});

test('legacy results carry no resultType', async () => {
    await withRaw(async (raw) => {
        await raw.initialize(LATEST_LEGACY);
        const l = await raw.call(2, 'tools/list', {});
        assert.ok(l.result && !('resultType' in l.result), JSON.stringify(l).slice(0, 300));
    });
});

test('a request before initialize gets a prompt JSON-RPC error, ping is answered', async () => {
    await withRaw(async (raw) => {
        const t0 = Date.now();
        const r = await raw.call(1, 'tools/list', {}, 2000);
        const ms = Date.now() - t0;
        assert.ok(r.error, `expected an error, got ${JSON.stringify(r)}`);
        // docs/mcp.md: -32602 at once, with a message saying what to send.
        assert.equal(r.error.code, -32602, JSON.stringify(r.error));
        assert.match(r.error.message, /initialize/, JSON.stringify(r.error));
        assert.ok(ms < 1000, `error took ${ms} ms`);
        const c = await raw.call(2, 'tools/call', { name: 'console_runtimes', arguments: {} }, 2000);
        assert.ok(c.error, JSON.stringify(c));
        const p = await raw.call(3, 'ping', undefined, 2000);
        assert.deepEqual(p.result, {}, JSON.stringify(p));
        // And after initialize the same request works on the same connection.
        await raw.initialize(LATEST_LEGACY, 4);
        const l = await raw.call(5, 'tools/list', {});
        assert.ok(l.result?.tools?.length > 0, JSON.stringify(l).slice(0, 300));
    });
});

test('an unknown method gets -32601; a malformed line gets -32700; both with the connection kept', async () => {
    await withRaw(async (raw) => {
        await raw.initialize();
        const u = await raw.call(2, 'no/such/method', {});
        assert.equal(u.error?.code, -32601, JSON.stringify(u));
        raw.sendLine('{"jsonrpc": "2.0", "id": 3, "method": ');
        const e = await raw.waitFor((m) => m.error && (m.id === null || !('id' in m)), 2000, 'parse error reply');
        assert.equal(e.error.code, -32700, JSON.stringify(e));
        const p = await raw.call(4, 'ping');
        assert.deepEqual(p.result, {});
    });
});

test('tools/list: schemas and annotations on every tool', async () => {
    const conn = await connect(daemon);
    try {
        const { tools } = await conn.client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), [...EXPECTED_TOOLS].sort());
        for (const t of tools) {
            assert.equal(t.inputSchema?.type, 'object', `${t.name}: inputSchema ${JSON.stringify(t.inputSchema)}`);
            assert.equal(t.outputSchema?.type, 'object', `${t.name}: outputSchema ${JSON.stringify(t.outputSchema)}`);
            assert.ok(t.annotations && typeof t.annotations === 'object', `${t.name}: no annotations`);
            assert.equal(typeof t.description, 'string', `${t.name}: no description`);
            assert.ok(t.description.length > 10, `${t.name}: description ${t.description}`);
        }
        const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
        for (const name of READ_ONLY) {
            assert.equal(byName[name].annotations.readOnlyHint, true, `${name}: ${JSON.stringify(byName[name].annotations)}`);
        }
        for (const name of DESTRUCTIVE) {
            assert.equal(byName[name].annotations.destructiveHint, true, `${name}: ${JSON.stringify(byName[name].annotations)}`);
            assert.notEqual(byName[name].annotations.readOnlyHint, true, `${name}: ${JSON.stringify(byName[name].annotations)}`);
        }
        // The session argument is required wherever a tool acts on one session.
        for (const name of ['console_send_input', 'console_get_output', 'console_wait_for_output',
            'console_stop_session', 'console_resize', 'console_signal', 'console_send_key']) {
            assert.ok(byName[name].inputSchema.required?.includes('session'),
                `${name}: session not required: ${JSON.stringify(byName[name].inputSchema)}`);
        }
    } finally {
        await conn.close();
    }
});
