// `berth mcp` is only a front: kill -9 it in the middle of a wait, start a new one, and read on
// from the cursor the first one reached. Every line arrives exactly once, in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
    startDaemon, connect, tool, localSession, readAll, within, pidAlive, eventually,
} from './harness.mjs';

let daemon;
before(async () => { daemon = await startDaemon(); });
after(async () => { await daemon?.stop(); });

const FIRST = 2000;
const TOTAL = 4000;

test('kill -9 of berth mcp mid-wait; a new one continues from the cursor, nothing lost', { timeout: 120_000 }, async () => {
    const first = await connect(daemon);
    await first.client.listTools();
    // Lines 1..FIRST, then waits for a line of input, then FIRST+1..TOTAL and END.
    const script =
        `i=1; while [ $i -le ${FIRST} ]; do echo "line $i"; i=$((i+1)); done; ` +
        `read go; while [ $i -le ${TOTAL} ]; do echo "line $i"; i=$((i+1)); done; echo END`;
    const session = await localSession(first, ['sh', '-c', script]);
    await tool(first, 'console_wait_for_output', { session, literal: `line ${FIRST}\n`, timeout_ms: 10_000 });

    // Read part of it in small pages.
    let text = '';
    let cursor = 0;
    for (let k = 0; k < 5; ++k) {
        const p = await tool(first, 'console_get_output', { session, cursor, max_bytes: 1000 });
        assert.equal(p.cursor, cursor);
        text += p.output;
        cursor = p.next_cursor;
    }
    assert.ok(cursor > 0 && cursor < 10_000, `cursor ${cursor}`);

    // A wait from the cursor for what comes only after input; kill -9 while it waits.
    const pending = first.client.callTool({
        name: 'console_wait_for_output', arguments: { session, cursor, literal: 'END', timeout_ms: 30_000 },
    }).then(() => 'replied', (e) => `rejected: ${e.message}`);
    await eventually(async () => (await daemon.metric('berthd_waiting_calls')) >= 1, 5000, 'the wait reached berthd');
    const pid = first.pid;
    assert.ok(pid > 0);
    process.kill(pid, 'SIGKILL');
    await eventually(() => !pidAlive(pid), 5000, 'berth mcp gone after kill -9');
    const outcome = await within(5000, pending, 'the killed server\'s call to end').catch((e) => e.message);
    assert.match(outcome, /^rejected/, `the killed server's call: ${outcome}`);
    await first.close().catch(() => {});

    // berthd is unharmed, the session too; berthd lets go of the dead client's wait.
    await eventually(async () => (await daemon.metric('berthd_waiting_calls')) === 0, 5000,
        'berthd dropped the killed client\'s wait');

    const second = await connect(daemon);
    try {
        await second.client.listTools();
        const l = await tool(second, 'console_list_sessions');
        assert.ok(l.sessions.some((x) => x.session === session && x.state === 'running'), JSON.stringify(l));
        await tool(second, 'console_send_input', { session, input: 'go\n' });
        const w = await tool(second, 'console_wait_for_output', { session, cursor, literal: 'END', timeout_ms: 20_000 });
        assert.equal(w.outcome, 'matched', JSON.stringify(w).slice(0, 500));
        await tool(second, 'console_wait_for_output', { session, exit: true, timeout_ms: 10_000 });
        const { next_cursor } = await readAll(second, session, {
            cursor, max_bytes: 4096, check: (p) => { text += p.output; },
        });
        assert.equal(next_cursor, Buffer.byteLength(text));
    } finally {
        await second.close();
    }

    const lines = text.split('\n');
    assert.equal(lines.pop(), '', 'output does not end with a newline');
    assert.equal(lines.pop(), 'END');
    assert.equal(lines.length, TOTAL);
    lines.forEach((line, i) => assert.equal(line, `line ${i + 1}`, `line ${i + 1}`));
});
