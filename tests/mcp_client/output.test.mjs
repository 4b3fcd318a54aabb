// Output through console_get_output: 16 MiB of random bytes read exact in 1 MiB base64 pages,
// text pages that never split a UTF-8 character, and a session printing invalid UTF-8 and
// escape sequences, with `berth mcp`'s stdout checked to carry nothing but JSON-RPC lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import {
    startDaemon, connect, RawMcp, assertOnlyProtocol, tool, localSession, readAll, tempDir,
} from './harness.mjs';

let daemon;
let conn;
let dir;
before(async () => {
    daemon = await startDaemon();
    conn = await connect(daemon);
    await conn.client.listTools();
    dir = tempDir();
});
after(async () => {
    await conn?.close();
    await daemon?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

test('16 MiB of random bytes read exact in 1 MiB base64 pages', async () => {
    const size = 16 * 1024 * 1024;
    const data = randomBytes(size);
    const file = path.join(dir, 'random.bin');
    writeFileSync(file, data);
    const session = await localSession(conn, ['cat', file]);
    const x = await tool(conn, 'console_wait_for_output', { session, exit: true, timeout_ms: 30_000 });
    assert.equal(x.outcome, 'exited', JSON.stringify(x).slice(0, 500));
    assert.equal(x.exit_code, 0);

    const hash = createHash('sha256');
    let total = 0;
    const { pages, next_cursor, last } = await readAll(conn, session, {
        encoding: 'base64', max_bytes: 1048576,
        check: (p) => {
            const bytes = Buffer.from(p.output, 'base64');
            assert.equal(p.encoding, 'base64');
            assert.equal(p.dropped, 0, 'bytes dropped');
            assert.ok(bytes.length <= 1048576, `page of ${bytes.length} bytes`);
            assert.equal(bytes.length, p.next_cursor - p.cursor, `page ${p.cursor}: bytes vs cursors`);
            assert.equal(p.output, bytes.toString('base64'), 'not canonical base64');
            hash.update(bytes);
            total += bytes.length;
            assert.equal(p.truncated, p.next_cursor < size, `page at ${p.cursor}: truncated ${p.truncated}`);
        },
    });
    assert.equal(total, size);
    assert.equal(next_cursor, size);
    assert.equal(last.end_offset, size);
    assert.equal(hash.digest('hex'), sha256(data), 'sha256 differs');
    // Full pages: 16 of them (plus the empty one that says the end is reached, at most).
    assert.ok(pages.length <= 17, `${pages.length} pages`);
    assert.ok(pages.slice(0, 16).every((p) => p.next_cursor - p.cursor === 1048576),
        `page sizes: ${pages.map((p) => p.next_cursor - p.cursor)}`);
    // A page from the middle, at an odd cursor, is the same bytes.
    const mid = await tool(conn, 'console_get_output', { session, cursor: 5_000_001, max_bytes: 777, encoding: 'base64' });
    assert.deepEqual(Buffer.from(mid.output, 'base64'), data.subarray(5_000_001, 5_000_001 + 777));
    await tool(conn, 'console_stop_session', { session });
});

test('text pages of default size never split a UTF-8 character', async () => {
    // 1-, 2-, 3- and 4-byte characters in a rhythm that puts page ends inside characters.
    const unit = 'aé日🎉bц語😀\n';
    const parts = [];
    for (let i = 0, size = 0; size < 300_000; ++i) {
        parts.push(`${i}:${unit}`);
        size += Buffer.byteLength(parts[i]);
    }
    const text = parts.join('');
    const bytes = Buffer.from(text, 'utf8');
    const file = path.join(dir, 'utf8.txt');
    writeFileSync(file, bytes);
    const session = await localSession(conn, ['cat', file]);
    const x = await tool(conn, 'console_wait_for_output', { session, exit: true, timeout_ms: 30_000 });
    assert.equal(x.outcome, 'exited');

    let joined = '';
    const { pages } = await readAll(conn, session, {
        check: (p) => {
            assert.ok(!p.output.includes('\uFFFD'), `page at ${p.cursor} holds U+FFFD`);
            assert.equal(Buffer.byteLength(p.output, 'utf8'), p.next_cursor - p.cursor,
                `page at ${p.cursor}: ${Buffer.byteLength(p.output, 'utf8')} bytes of text for ` +
                `${p.next_cursor - p.cursor} bytes of cursor`);
            assert.ok(p.next_cursor - p.cursor <= 16384, `page of ${p.next_cursor - p.cursor} bytes`);
            // The page's bytes are exactly the file's at those offsets.
            assert.ok(bytes.subarray(p.cursor, p.next_cursor).equals(Buffer.from(p.output, 'utf8')),
                `page at ${p.cursor} differs from the file`);
            joined += p.output;
        },
    });
    assert.ok(pages.length >= 300_000 / 16384, `${pages.length} pages`);
    // At least one page must have ended short of 16384 to avoid splitting.
    assert.ok(pages.some((p) => p.next_cursor - p.cursor < 16384 && p.next_cursor < bytes.length),
        'no page was shortened: the test did not exercise a split');
    assert.equal(joined, text);
    await tool(conn, 'console_stop_session', { session });
});

test('a text page whose max_bytes ends inside a character stops before it', async () => {
    // 語 is e8 aa 9e: max_bytes 4 over two of them must give one character and next_cursor 3.
    const session = await localSession(conn, ['printf', '\\350\\252\\236\\350\\252\\236']);
    await tool(conn, 'console_wait_for_output', { session, exit: true, timeout_ms: 10_000 });
    for (const max_bytes of [3, 4, 5]) {
        const p = await tool(conn, 'console_get_output', { session, max_bytes });
        assert.deepEqual({ output: p.output, next_cursor: p.next_cursor }, { output: '語', next_cursor: 3 },
            `max_bytes ${max_bytes}`);
    }
    const all = await tool(conn, 'console_get_output', { session, max_bytes: 6 });
    assert.deepEqual({ output: all.output, next_cursor: all.next_cursor }, { output: '語語', next_cursor: 6 });
    await tool(conn, 'console_stop_session', { session });
});

test('a text page is capped at 45000 chars; reading on loses nothing', async () => {
    const text = 'x'.repeat(200_000);
    const file = path.join(dir, 'big.txt');
    writeFileSync(file, text);
    const session = await localSession(conn, ['cat', file]);
    await tool(conn, 'console_wait_for_output', { session, exit: true, timeout_ms: 30_000 });
    const p = await tool(conn, 'console_get_output', { session, max_bytes: 1048576 });
    assert.ok(p.output.length <= 45000, `${p.output.length} chars`);
    assert.equal(p.next_cursor, p.output.length);
    let joined = p.output;
    await readAll(conn, session, { cursor: p.next_cursor, max_bytes: 1048576, check: (q) => { joined += q.output; } });
    assert.equal(joined, text);
    await tool(conn, 'console_stop_session', { session });
});

test('invalid UTF-8 and escape sequences: raw, plain, base64; stdout only JSON-RPC', async () => {
    const raw = new RawMcp(daemon);
    try {
        await raw.initialize();
        // printf with octal escapes: \377\376 A ESC]0;title BEL ESC[31m red ESC[0m, a lone 0xc3, NUL.
        const script = "printf '\\377\\376 A \\033]0;title\\007 \\033[31mred\\033[0m \\303\\303 \\000 end\\n'";
        const expectedBytes = Buffer.concat([
            Buffer.from([0xff, 0xfe]), Buffer.from(' A '), Buffer.from('\x1b]0;title\x07 \x1b[31mred\x1b[0m ', 'latin1'),
            Buffer.from([0xc3, 0xc3]), Buffer.from(' \x00 end\n', 'latin1'),
        ]);
        const c = await raw.call(2, 'tools/call', {
            name: 'console_create_session', arguments: { runtime: 'local', command: ['sh', '-c', script] },
        });
        const session = c.result?.structuredContent?.session;
        assert.ok(session, JSON.stringify(c));
        const w = await raw.call(3, 'tools/call', {
            name: 'console_wait_for_output', arguments: { session, exit: true, timeout_ms: 10_000 },
        }, 15_000);
        assert.equal(w.result?.structuredContent?.outcome, 'exited', JSON.stringify(w));

        const b = await raw.call(4, 'tools/call', {
            name: 'console_get_output', arguments: { session, encoding: 'base64' },
        });
        assert.deepEqual(Buffer.from(b.result.structuredContent.output, 'base64'), expectedBytes,
            'base64 bytes differ from what printf wrote');

        const t = await raw.call(5, 'tools/call', {
            name: 'console_get_output', arguments: { session, view: 'raw' },
        });
        const rawText = t.result?.structuredContent?.output;
        assert.equal(typeof rawText, 'string', JSON.stringify(t));
        assert.ok(rawText.includes('\x1b[31mred'), `raw view lost the escape: ${JSON.stringify(rawText)}`);
        assert.ok(rawText.includes(' end\n'), JSON.stringify(rawText));
        assert.equal(t.result.structuredContent.next_cursor, expectedBytes.length, 'raw text page did not reach the end');

        const p = await raw.call(6, 'tools/call', {
            name: 'console_get_output', arguments: { session, view: 'plain' },
        });
        const plain = p.result?.structuredContent?.output;
        assert.equal(typeof plain, 'string', JSON.stringify(p));
        assert.ok(!plain.includes('\x1b'), `plain view holds ESC: ${JSON.stringify(plain)}`);
        assert.ok(!plain.includes('title'), `plain view holds the OSC title: ${JSON.stringify(plain)}`);
        assert.ok(!plain.includes('\x07'), `plain view holds BEL: ${JSON.stringify(plain)}`);
        assert.match(plain, / A +red/);
        assert.match(plain, /end/);

        await raw.call(7, 'tools/call', { name: 'console_stop_session', arguments: { session } });
        // The raw stdout bytes themselves: no ESC, BEL, NUL or 0xff anywhere (all escaped in JSON).
        const out = raw.stdout();
        for (const byte of [0x1b, 0x07, 0x00, 0xff, 0xfe]) {
            assert.equal(out.indexOf(byte), -1, `stdout carries byte 0x${byte.toString(16)}`);
        }
        assertOnlyProtocol(raw);
    } finally {
        await raw.close();
    }
});
