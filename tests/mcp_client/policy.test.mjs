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

test('a policy file allows only the plugin options it names; runtimes bind existing sessions', async () => {
    const writer = await connect(daemon);
    const other = await localSession(writer, ['cat']);
    try {
        await withPolicy({ runtimes: ['podman'] }, async (conn) => {
            // podman's `binary` would run any program on the host: not named, so refused.
            const bin = await conn.client.callTool({
                name: 'console_create_session',
                arguments: { runtime: 'podman', image: TEST_IMAGE, options: { binary: '/bin/true' } },
            });
            assert.equal(bin.isError, true, JSON.stringify(bin).slice(0, 1000));
            assert.match(resultText(bin), /plugin option 'binary' is not in options/, resultText(bin));
            // A local session someone else opened: the agent may read it, not type into it.
            const typed = await conn.client.callTool({ name: 'console_send_input', arguments: { session: other, input: 'x\n' } });
            assert.equal(typed.isError, true, JSON.stringify(typed).slice(0, 1000));
            assert.match(resultText(typed), /runtime 'local' is not in runtimes/, resultText(typed));
            const run = await conn.client.callTool({ name: 'console_execute_command', arguments: { session: other, command: 'id' } });
            assert.equal(run.isError, true);
            const read = await tool(conn, 'console_get_output', { session: other });
            assert.equal(read.output, '');
        });
    } finally {
        await tool(writer, 'console_stop_session', { session: other });
        await writer.close();
    }
});

test('max_sessions holds for concurrent creates', async () => {
    await withPolicy({ max_sessions: 2 }, async (conn) => {
        const before = (await tool(conn, 'console_list_sessions')).sessions.filter((x) => x.state === 'running').length;
        assert.equal(before, 0, 'this test needs no other open sessions');
        const results = await Promise.all(Array.from({ length: 6 }, () => conn.client.callTool({
            name: 'console_create_session', arguments: { command: ['cat'] },
        })));
        const made = results.filter((r) => !r.isError).map((r) => r.structuredContent.session);
        assert.equal(made.length, 2, JSON.stringify(results.map((r) => resultText(r).slice(0, 200))));
        for (const r of results.filter((x) => x.isError)) assert.match(resultText(r), /max_sessions/);
        for (const session of made) await tool(conn, 'console_stop_session', { session });
    });
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
        assert.match(resultText(viaOptions), /images|options/, resultText(viaOptions));
        await tool(conn, 'console_stop_session', { session });
    });
});

test('a policy file that is not valid JSON stops berth mcp with a message', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"runtimes": [');
    await assert.rejects(connect(daemon, { args: ['--policy', bad] }), /policy|bad\.json|JSON|closed/i);
});
