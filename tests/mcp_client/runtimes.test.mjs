// A shell session through `berth mcp` on each runtime: local, podman, containerd, lxc.
// Create, send input, wait for the output, stop. Under CI=true a missing runtime fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
    startDaemon, connect, tool, shellIn, requireRuntime, eventually, resultText,
} from './harness.mjs';

let daemon;
let conn;
before(async () => {
    daemon = await startDaemon();
    conn = await connect(daemon);
    await conn.client.listTools();
});
after(async () => {
    await conn?.close();
    await daemon?.stop();
});

for (const runtime of ['local', 'podman', 'containerd', 'lxc']) {
    test(`a shell on ${runtime}: create, send, wait, read, stop`, { timeout: 240_000 }, async (t) => {
        // Health comes from berthd's checker (health_interval_s 1): give it a first round.
        const entry = await eventually(async () => {
            const r = await tool(conn, 'console_runtimes');
            const e = r.runtimes.find((x) => x.runtime === runtime);
            return e && e.health?.state !== 'unknown' ? e : (e ? false : { missing: true });
        }, 10_000, `${runtime}'s health known`).catch(() => undefined);
        if (!requireRuntime(t, runtime, entry?.missing ? undefined : entry)) return;

        const args = shellIn(runtime);
        const created = await conn.client.callTool(
            { name: 'console_create_session', arguments: args }, undefined, { timeout: 180_000 });
        assert.ok(!created.isError, `${runtime}: ${resultText(created)}\nberthd log:\n${daemon.log().slice(-4000)}`);
        const s = created.structuredContent;
        assert.equal(s.runtime, runtime);
        assert.equal(s.state, 'running', JSON.stringify(s));
        try {
            await tool(conn, 'console_send_input', { session: s.session, input: 'echo "rea""dy-$((6*7))"\n' });
            const w = await tool(conn, 'console_wait_for_output',
                { session: s.session, literal: 'ready-42', timeout_ms: 30_000 });
            assert.equal(w.outcome, 'matched', JSON.stringify(w));
            const r = await tool(conn, 'console_get_output', { session: s.session });
            assert.match(r.output, /ready-42/);
            assert.doesNotMatch(r.output, /rea""dy/, 'the command itself came back: input echoed?');
            // It runs in the runtime: a container has a PID 1 of its own.
            await tool(conn, 'console_send_input', { session: s.session, input: 'echo "pid1=$(cat /proc/1/comm)=end"\n' });
            const p = await tool(conn, 'console_wait_for_output',
                { session: s.session, cursor: w.next_cursor, pattern: 'pid1=.*=end', timeout_ms: 30_000 });
            assert.equal(p.outcome, 'matched', JSON.stringify(p));
            const hostPid1 = readFileSync('/proc/1/comm', 'utf8').trim();
            if (runtime === 'local') {
                assert.equal(p.match.text, `pid1=${hostPid1}=end`);
            } else {
                assert.notEqual(p.match.text, `pid1=${hostPid1}=end`, `${runtime}: PID 1 is the host's`);
                assert.ok(s.target, `${runtime}: no target (container) named: ${JSON.stringify(s)}`);
            }
            const l = await tool(conn, 'console_list_sessions');
            assert.ok(l.sessions.some((x) => x.session === s.session && x.runtime === runtime), JSON.stringify(l));
        } finally {
            const stopped = await conn.client.callTool(
                { name: 'console_stop_session', arguments: { session: s.session, grace_ms: 2000 } },
                undefined, { timeout: 120_000 });
            assert.ok(!stopped.isError, resultText(stopped));
            assert.notEqual(stopped.structuredContent.state, 'running', JSON.stringify(stopped.structuredContent));
        }
    });
}
