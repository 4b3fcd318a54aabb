// Every tool of `berth mcp` called through the SDK client on local sessions, each result's
// structuredContent checked against the tool's outputSchema twice: by the SDK (callTool
// validates once tools/list has been seen) and by our own ajv, which also checks that the
// schema itself is a valid JSON Schema. And console_execute_command, in a shell and one-shot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
    startDaemon, connect, makeValidator, resultText, localSession, sleep,
} from './harness.mjs';

let daemon;
let conn;
let validators = {};
const called = new Set();

before(async () => {
    daemon = await startDaemon();
    conn = await connect(daemon);
    const { tools } = await conn.client.listTools(); // the SDK caches the output validators
    for (const t of tools) validators[t.name] = makeValidator(t.outputSchema);
});
after(async () => {
    await conn?.close();
    await daemon?.stop();
});

// callTool, checked: not an error, structuredContent valid, text block the same JSON.
async function call(name, args = {}, { expectError = false } = {}) {
    const r = await conn.client.callTool({ name, arguments: args });
    if (expectError) {
        assert.equal(r.isError, true, `${name} ${JSON.stringify(args)} should fail: ${JSON.stringify(r).slice(0, 1000)}`);
        return r;
    }
    assert.ok(!r.isError, `${name} ${JSON.stringify(args).slice(0, 300)}: ${resultText(r).slice(0, 2000)}`);
    assert.ok(r.structuredContent, `${name}: no structuredContent`);
    const v = validators[name](r.structuredContent);
    assert.ok(v.good, `${name}: structuredContent does not match outputSchema: ${v.errors}\n` +
        JSON.stringify(r.structuredContent).slice(0, 2000));
    const texts = r.content.filter((c) => c.type === 'text');
    assert.equal(texts.length >= 1, true, `${name}: no text content`);
    if (r.structuredContent.encoding === 'base64' && name === 'console_get_output') {
        // A base64 page is for programs: its text block names the range instead of repeating
        // a megabyte (docs/mcp.md).
        const sc = r.structuredContent;
        assert.equal(texts[0].text, `output [${sc.cursor}, ${sc.next_cursor}) of ${sc.session} ` +
            `(end_offset ${sc.end_offset}) is in structuredContent.output, base64`);
    } else {
        assert.deepEqual(JSON.parse(texts[0].text), r.structuredContent,
            `${name}: the text block is not the structuredContent's JSON`);
    }
    called.add(name);
    return r.structuredContent;
}

async function waitLiteral(session, literal, cursor = 0, timeout_ms = 10_000) {
    const w = await call('console_wait_for_output', { session, literal, cursor, timeout_ms });
    assert.equal(w.outcome, 'matched', JSON.stringify(w));
    return w;
}

test('console_runtimes lists local', async () => {
    const r = await call('console_runtimes');
    const local = r.runtimes.find((x) => x.runtime === 'local');
    assert.ok(local, JSON.stringify(r));
    assert.equal(typeof local.plugin, 'string');
});

test('create, send, wait, read (raw, plain, base64), list, stop on a pipe session', async () => {
    const s = await call('console_create_session', { runtime: 'local', command: ['sh'] });
    assert.equal(s.runtime, 'local');
    assert.equal(s.state, 'running');
    assert.equal(s.cursor, 0);
    assert.equal(s.tty, false);
    assert.ok(Number.isInteger(s.pid) && s.pid > 0, JSON.stringify(s));

    const input = 'echo "hel""lo-$((6*7))"\n';
    const sent = await call('console_send_input', { session: s.session, input });
    assert.equal(sent.written, Buffer.byteLength(input));
    const w = await waitLiteral(s.session, 'hello-42');
    assert.equal(w.match.text, 'hello-42');
    assert.equal(w.match.end - w.match.begin, 8);
    assert.ok(w.output.includes('hello-42'), JSON.stringify(w));
    assert.equal(w.next_cursor, w.match.end, JSON.stringify(w));

    const raw = await call('console_get_output', { session: s.session });
    assert.equal(raw.output, 'hello-42\n');
    assert.equal(raw.next_cursor, 9);
    assert.equal(raw.end_offset, 9);
    assert.equal(raw.truncated, false);
    assert.equal(raw.dropped, 0);
    const b64 = await call('console_get_output', { session: s.session, encoding: 'base64', cursor: 3 });
    assert.equal(Buffer.from(b64.output, 'base64').toString(), 'lo-42\n');
    assert.equal(b64.encoding, 'base64');
    const plain = await call('console_get_output', { session: s.session, view: 'plain' });
    assert.ok(plain.output.includes('hello-42'), JSON.stringify(plain));
    assert.equal(plain.view, 'plain');

    // An input in base64: exact bytes.
    await call('console_send_input', {
        session: s.session, encoding: 'base64', input: Buffer.from('echo b64-ok\n').toString('base64'),
    });
    await waitLiteral(s.session, 'b64-ok', raw.next_cursor);

    const l = await call('console_list_sessions');
    const mine = l.sessions.find((x) => x.session === s.session);
    assert.ok(mine, JSON.stringify(l));
    assert.equal(mine.runtime, 'local');
    assert.deepEqual(mine.argv, ['sh']);

    const stopped = await call('console_stop_session', { session: s.session, grace_ms: 2000 });
    assert.equal(stopped.session, s.session);
    assert.notEqual(stopped.state, 'running', JSON.stringify(stopped));
});

test('a tty session: screen view, resize (stty size sees it), send_key and paste', async () => {
    const s = await call('console_create_session', {
        runtime: 'local', command: ['sh'], tty: true, rows: 24, cols: 80, env: { PS1: '$ ' },
    });
    assert.equal(s.tty, true);
    const r = await call('console_resize', { session: s.session, rows: 30, cols: 100 });
    assert.equal(r.rows, 30);
    assert.equal(r.cols, 100);
    await call('console_send_input', { session: s.session, input: 'stty size; echo "do""ne"\r' });
    await waitLiteral(s.session, 'done');
    const out = await call('console_get_output', { session: s.session, view: 'plain' });
    assert.match(out.output, /30 100/, JSON.stringify(out));

    const screen = await call('console_get_output', { session: s.session, view: 'screen', rows: 30, cols: 100 });
    assert.equal(screen.view, 'screen');
    assert.equal(screen.screen.rows, 30, JSON.stringify(screen.screen));
    assert.equal(screen.screen.cols, 100, JSON.stringify(screen.screen));
    assert.match(screen.output, /30 100/, JSON.stringify(screen));
    // A screen has no escape sequences in it.
    assert.ok(!screen.output.includes('\x1b'), JSON.stringify(screen.output));

    // A key: one byte for enter and for ctrl-c; a paste is wrapped in ESC[200~ ... ESC[201~.
    const k = await call('console_send_key', { session: s.session, keys: ['ctrl-c'] });
    assert.equal(k.written, 1);
    const p = await call('console_send_key', { session: s.session, paste: 'echo pasted' });
    assert.equal(p.written, 6 + 'echo pasted'.length + 6);
    const e = await call('console_send_key', { session: s.session, keys: ['enter'] });
    assert.equal(e.written, 1);
    const up = await call('console_send_key', { session: s.session, keys: ['up', 'f1', 'alt-x'] });
    assert.ok(up.written >= 3 + 3 + 2, JSON.stringify(up));
    await call('console_stop_session', { session: s.session, grace_ms: 1000 });
});

test('console_signal ends a sleeping session; wait {exit: true} sees it', async () => {
    const s = await call('console_create_session', { runtime: 'local', command: ['sleep', '100'] });
    const sig = await call('console_signal', { session: s.session, signal: 'TERM' });
    assert.equal(sig.session, s.session);
    const w = await call('console_wait_for_output', { session: s.session, exit: true, timeout_ms: 10_000 });
    assert.equal(w.outcome, 'exited', JSON.stringify(w));
    assert.notEqual(w.state, 'running');
    assert.ok(w.signal === 15 || w.signal === 'TERM' || w.signal === 'SIGTERM' || w.exit_code === 143,
        JSON.stringify(w));
});

test('wait outcomes: timeout, idle, pattern (RE2), exit code', async () => {
    const s = await call('console_create_session', { runtime: 'local', command: ['sh'] });
    const t0 = Date.now();
    const t = await call('console_wait_for_output', { session: s.session, literal: 'never', timeout_ms: 300 });
    assert.equal(t.outcome, 'timeout', JSON.stringify(t));
    assert.ok(Date.now() - t0 < 3000);
    await call('console_send_input', { session: s.session, input: 'echo val=123\n' });
    const p = await call('console_wait_for_output', { session: s.session, pattern: 'val=(\\d+)', timeout_ms: 5000 });
    assert.equal(p.outcome, 'matched');
    assert.equal(p.match.text, 'val=123');
    const idle = await call('console_wait_for_output', { session: s.session, cursor: p.next_cursor, idle_ms: 200, timeout_ms: 5000 });
    assert.equal(idle.outcome, 'idle', JSON.stringify(idle));
    await call('console_send_input', { session: s.session, input: 'exit 7\n' });
    const x = await call('console_wait_for_output', { session: s.session, exit: true, timeout_ms: 5000 });
    assert.equal(x.outcome, 'exited', JSON.stringify(x));
    assert.equal(x.exit_code, 7);
});

test('console_execute_command in an existing sh session: output and exit codes 0 and 3', async () => {
    const session = await localSession(conn, ['sh']);
    const a = await call('console_execute_command', { session, command: 'echo "fir""st-$((2*3))"' });
    assert.equal(a.exit_code, 0, JSON.stringify(a));
    assert.equal(a.timed_out, false);
    assert.equal(a.output, 'first-6\n', 'only the command\'s output, no marker, no echo');
    const b = await call('console_execute_command', { session, command: "sh -c 'echo sec\"\"ond; exit 3'" });
    assert.equal(b.exit_code, 3, JSON.stringify(b));
    assert.equal(b.output, 'second\n');
    // The shell is still there, with its state.
    const c = await call('console_execute_command', { session, command: 'X=kept; echo $X' });
    assert.match(c.output, /kept/);
    const d = await call('console_execute_command', { session, command: 'echo "$X-again"' });
    assert.match(d.output, /kept-again/);
    await call('console_stop_session', { session });
});

test('console_execute_command in a tty shell: the echo and the prompt are not in the output', async () => {
    const session = await localSession(conn, ['sh'], { tty: true, env: { PS1: 'prompt$ ' } });
    const a = await call('console_execute_command', { session, command: 'echo "fir""st-$((2*3))"' });
    assert.equal(a.exit_code, 0, JSON.stringify(a));
    assert.equal(a.output.replace(/\r\n/g, '\n'), 'first-6\n', JSON.stringify(a));
    const b = await call('console_execute_command', { session, command: "sh -c 'echo sec\"\"ond; exit 3'" });
    assert.equal(b.exit_code, 3, JSON.stringify(b));
    assert.equal(b.output.replace(/\r\n/g, '\n'), 'second\n', JSON.stringify(b));
    await call('console_stop_session', { session });
});

test('console_execute_command on a tty whose prompt comes late: calls back to back stay exact', async () => {
    // The prompt arrives 100 ms after each command's marker, so every call but the first
    // begins before the shell has printed it.
    const session = await localSession(conn, ['sh'], { tty: true, env: { PS1: '$(sleep 0.1)late$ ' } });
    for (const [command, output, code] of [['echo one', 'one\n', 0], ['echo two; false', 'two\n', 1], ['echo three', 'three\n', 0]]) {
        const r = await call('console_execute_command', { session, command });
        assert.equal(r.exit_code, code, JSON.stringify(r));
        assert.equal(r.output.replace(/\r\n/g, '\n'), output, JSON.stringify(r));
    }
    await call('console_stop_session', { session });
});

test('console_execute_command one-shot: output and exit code, and a timeout', async () => {
    const a = await call('console_execute_command', { command: 'echo one-$((40+2))' });
    assert.equal(a.exit_code, 0, JSON.stringify(a));
    assert.match(a.output, /one-42/);
    const b = await call('console_execute_command', { command: 'echo four >&2; exit 4' });
    assert.equal(b.exit_code, 4, JSON.stringify(b));
    assert.match(b.output, /four/);
    const t0 = Date.now();
    const c = await call('console_execute_command', { command: 'sleep 30', timeout_ms: 500 });
    assert.equal(c.timed_out, true, JSON.stringify(c));
    assert.ok(Date.now() - t0 < 5000, `timeout took ${Date.now() - t0} ms`);
});

test('input errors are results with isError naming the field', async () => {
    const missing = await call('console_get_output', {}, { expectError: true });
    assert.match(resultText(missing), /session/, resultText(missing));
    const bad = await call('console_get_output', { session: 'no-such-session' }, { expectError: true });
    assert.match(resultText(bad), /session|no-such-session/i, resultText(bad));
    const badType = await call('console_resize', { session: 'x', rows: 'many', cols: 80 }, { expectError: true });
    assert.match(resultText(badType), /rows/, resultText(badType));
    const two = await call('console_wait_for_output', { session: 'x', literal: 'a', pattern: 'b' }, { expectError: true });
    assert.match(resultText(two), /literal|pattern/, resultText(two));
    const badRe = await localSession(conn, ['sh']);
    const re = await call('console_wait_for_output', { session: badRe, pattern: '(' }, { expectError: true });
    assert.match(resultText(re), /pattern/, resultText(re));
    const unknownTool = await conn.client.callTool({ name: 'console_nope', arguments: {} }).catch((e) => e);
    assert.ok(unknownTool instanceof Error || unknownTool.isError === true, JSON.stringify(unknownTool));
    await call('console_stop_session', { session: badRe });
});

test('every tool was called and validated', async () => {
    await sleep(0);
    assert.deepEqual([...called].sort(), Object.keys(validators).sort());
});
