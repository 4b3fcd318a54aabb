// `berth mcp --policy FILE`: refusals are tool results with isError and a text naming the rule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import {
    startDaemon, connect, tool, localSession, resultText, tempDir, TEST_IMAGE,
} from './harness.mjs';

let daemon;
let dir;
before(async () => {
    daemon = await startDaemon();
    dir = tempDir('berth-mcp-policy-');
});
after(async () => {
    await daemon?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

function policy(name, obj) {
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(obj));
    return file;
}

async function withPolicy(obj, fn) {
    const conn = await connect(daemon, { args: ['--policy', policy(`p${Math.random()}`, obj)] });
    try {
        await conn.client.listTools();
        await fn(conn);
    } finally {
        await conn.close();
    }
}

test('runtimes [local]: creating a podman session is refused naming the rule; local works', async () => {
    await withPolicy({ runtimes: ['local'] }, async (conn) => {
        const r = await conn.client.callTool({
            name: 'console_create_session', arguments: { runtime: 'podman', image: TEST_IMAGE, command: ['sh'] },
        });
        assert.equal(r.isError, true, JSON.stringify(r).slice(0, 1000));
        const text = resultText(r);
        assert.match(text, /policy/i, text);
        assert.match(text, /runtimes/, text);
        assert.match(text, /podman/, text);
        const l = await tool(conn, 'console_list_sessions');
        assert.ok(!l.sessions.some((s) => s.runtime === 'podman'), 'a podman session exists anyway');
        const session = await localSession(conn, ['sh']);
        await tool(conn, 'console_stop_session', { session });
        // One-shot commands on a refused runtime are refused too.
        const e = await conn.client.callTool({
            name: 'console_execute_command', arguments: { runtime: 'podman', image: TEST_IMAGE, command: 'true' },
        });
        assert.equal(e.isError, true, JSON.stringify(e).slice(0, 1000));
        assert.match(resultText(e), /runtimes/);
    });
});

test('read_only: send_input, send_key, create and stop refused; get_output and list allowed', async () => {
    const writer = await connect(daemon);
    const session = await localSession(writer, ['sh']);
    await tool(writer, 'console_send_input', { session, input: 'echo before-ro\n' });
    await tool(writer, 'console_wait_for_output', { session, literal: 'before-ro' });
    try {
        await withPolicy({ read_only: true }, async (conn) => {
            const s = await conn.client.callTool({ name: 'console_send_input', arguments: { session, input: 'echo nope\n' } });
            assert.equal(s.isError, true, JSON.stringify(s).slice(0, 1000));
            assert.match(resultText(s), /read_only/, resultText(s));
            const k = await conn.client.callTool({ name: 'console_send_key', arguments: { session, keys: ['ctrl-c'] } });
            assert.equal(k.isError, true, JSON.stringify(k).slice(0, 1000));
            const st = await conn.client.callTool({ name: 'console_stop_session', arguments: { session } });
            assert.equal(st.isError, true, JSON.stringify(st).slice(0, 1000));
            const c = await conn.client.callTool({ name: 'console_create_session', arguments: { command: ['sh'] } });
            assert.equal(c.isError, true, JSON.stringify(c).slice(0, 1000));
            const x = await conn.client.callTool({ name: 'console_execute_command', arguments: { command: 'true' } });
            assert.equal(x.isError, true, JSON.stringify(x).slice(0, 1000));

            const g = await tool(conn, 'console_get_output', { session });
            assert.equal(g.output, 'before-ro\n');
            const w = await tool(conn, 'console_wait_for_output', { session, literal: 'before-ro' });
            assert.equal(w.outcome, 'matched');
            const l = await tool(conn, 'console_list_sessions');
            assert.ok(l.sessions.some((x2) => x2.session === session));
        });
        // Nothing reached the session.
        const g = await tool(writer, 'console_get_output', { session });
        assert.equal(g.output, 'before-ro\n');
        const l = await tool(writer, 'console_list_sessions');
        assert.equal(l.sessions.find((x2) => x2.session === session)?.state, 'running');
    } finally {
        await tool(writer, 'console_stop_session', { session });
        await writer.close();
    }
});

test('max_input_bytes and images: refusals name the rule', async () => {
    await withPolicy({ max_input_bytes: 10, images: ['localhost/allowed-*'] }, async (conn) => {
        const session = await localSession(conn, ['cat']);
        const big = await conn.client.callTool({ name: 'console_send_input', arguments: { session, input: 'x'.repeat(11) } });
        assert.equal(big.isError, true, JSON.stringify(big).slice(0, 1000));
        assert.match(resultText(big), /max_input_bytes/, resultText(big));
        const ok = await tool(conn, 'console_send_input', { session, input: 'x'.repeat(10) });
        assert.equal(ok.written, 10);
        const img = await conn.client.callTool({
            name: 'console_create_session', arguments: { runtime: 'podman', image: 'docker.io/library/alpine', command: ['sh'] },
        });
        assert.equal(img.isError, true, JSON.stringify(img).slice(0, 1000));
        assert.match(resultText(img), /images/, resultText(img));
        // The plugin's own options are checked too: no way around the list through them.
        const viaOptions = await conn.client.callTool({
            name: 'console_create_session',
            arguments: { runtime: 'podman', options: { image: 'docker.io/library/alpine' }, command: ['sh'] },
        });
        assert.equal(viaOptions.isError, true, JSON.stringify(viaOptions).slice(0, 1000));
        assert.match(resultText(viaOptions), /images/, resultText(viaOptions));
        await tool(conn, 'console_stop_session', { session });
    });
});

test('a policy file that is not valid JSON stops berth mcp with a message', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"runtimes": [');
    await assert.rejects(connect(daemon, { args: ['--policy', bad] }), /policy|bad\.json|JSON|closed/i);
});
