// `berth mcp` through the official MCP TypeScript SDK client, against a private berthd:
//   a. N bytes of random output read exact in 1 MiB base64 pages (console_get_output): MiB/s,
//      sha256 checked (exit 1 when not exact)
//   b. console_send_input -> console_wait_for_output (literal echo) on a local `cat` session:
//      p50/p90/p99 round trip
//   c. `berth mcp` spawned to its initialize reply, berthd running: median
// Run through bench/mcp.sh, which sets BERTH_BIN, BERTHD_BIN and BERTH_PLUGIN_PATH. Sizes from
// the environment: BENCH_MCP_BYTES (a, 16 MiB), BENCH_MCP_READS (a, 3 runs), BENCH_MCP_ROUNDTRIPS
// (b, 200), BENCH_MCP_SPAWNS (c, 20), BENCH_MCP_CANCELS (d, 20). A markdown table on stdout, progress on stderr.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import {
    startDaemon, connect, tool, localSession, tempDir, mcpArgs, mcpEnv, BERTH_BIN, CLIENT_INFO,
    LATEST_LEGACY, RawMcp, sleep,
} from '../tests/mcp_client/harness.mjs';

const envInt = (name, dflt) => {
    const v = process.env[name];
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${v}: not a positive integer`);
    return n;
};
const BYTES = envInt('BENCH_MCP_BYTES', 16 * 1024 * 1024);
const READS = envInt('BENCH_MCP_READS', 3);
const ROUNDTRIPS = envInt('BENCH_MCP_ROUNDTRIPS', 200);
const SPAWNS = envInt('BENCH_MCP_SPAWNS', 20);
const PAGE = 1048576;

const log = (...a) => console.error('mcp_bench:', ...a);
const ms = (ns) => Number(ns) / 1e6;
const now = () => process.hrtime.bigint();
function quantile(sorted, q) {
    // nearest rank
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[i];
}
const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function readExact(conn, session, size, expectedSha) {
    const hash = createHash('sha256');
    let cursor = 0;
    let pages = 0;
    const t0 = now();
    for (;;) {
        const p = await tool(conn, 'console_get_output', { session, cursor, max_bytes: PAGE, encoding: 'base64' });
        const bytes = Buffer.from(p.output, 'base64');
        if (p.cursor !== cursor || bytes.length !== p.next_cursor - p.cursor || p.dropped) {
            throw new Error(`page at ${cursor}: cursor ${p.cursor}, ${bytes.length} bytes for ` +
                `${p.next_cursor - p.cursor}, dropped ${p.dropped}`);
        }
        hash.update(bytes);
        cursor = p.next_cursor;
        ++pages;
        if (cursor >= size || bytes.length === 0) break;
    }
    const seconds = Number(now() - t0) / 1e9;
    const sha = hash.digest('hex');
    return { seconds, pages, exact: cursor === size && sha === expectedSha, cursor, sha };
}

// The same pages through a minimal client that reads JSON lines in linear time (the SDK's
// stdio ReadBuffer concatenates its whole buffer on every 64 KiB chunk and searches it from the
// start for the newline, which is quadratic in a message's size): what berth mcp itself does.
function rawPageReader(daemon) {
    const proc = spawn(BERTH_BIN, mcpArgs(daemon), { env: mcpEnv(), stdio: ['pipe', 'pipe', 'inherit'] });
    let parts = [];
    const waiting = [];
    proc.stdout.on('data', (chunk) => {
        let from = 0;
        for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
            parts.push(chunk.subarray(from, nl));
            const line = Buffer.concat(parts).toString('utf8');
            parts = [];
            from = nl + 1;
            waiting.shift()?.(JSON.parse(line));
        }
        if (from < chunk.length) parts.push(chunk.subarray(from));
    });
    let id = 0;
    const call = (method, params) => new Promise((resolve) => {
        waiting.push(resolve);
        proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) + '\n');
    });
    return { call, close: () => proc.stdin.end() };
}

async function rawReadExact(daemon, session, size, expectedSha) {
    const raw = rawPageReader(daemon);
    try {
        await raw.call('initialize', { protocolVersion: LATEST_LEGACY, capabilities: {}, clientInfo: CLIENT_INFO });
        const hash = createHash('sha256');
        let cursor = 0;
        const t0 = now();
        while (cursor < size) {
            const r = await raw.call('tools/call', {
                name: 'console_get_output', arguments: { session, cursor, max_bytes: PAGE, encoding: 'base64' },
            });
            const p = r.result.structuredContent;
            hash.update(Buffer.from(p.output, 'base64'));
            if (p.next_cursor === cursor) break;
            cursor = p.next_cursor;
        }
        const seconds = Number(now() - t0) / 1e9;
        return { seconds, exact: cursor === size && hash.digest('hex') === expectedSha };
    } finally {
        raw.close();
    }
}

async function benchRead(conn, dir, daemon) {
    const data = randomBytes(BYTES);
    const file = path.join(dir, 'random.bin');
    writeFileSync(file, data);
    const sha = createHash('sha256').update(data).digest('hex');
    const session = await localSession(conn, ['cat', file]);
    const x = await tool(conn, 'console_wait_for_output', { session, exit: true, timeout_ms: 50_000 });
    if (x.outcome !== 'exited' || x.end_offset !== BYTES) {
        throw new Error(`cat of ${BYTES} bytes: ${JSON.stringify({ ...x, output: undefined })}`);
    }
    const runs = [];
    for (let i = 0; i < READS; ++i) {
        const r = await readExact(conn, session, BYTES, sha);
        log(`read ${i + 1}/${READS}: ${r.pages} pages, ${(r.seconds * 1000).toFixed(1)} ms, exact: ${r.exact}`);
        if (!r.exact) {
            log(`NOT EXACT: ${r.cursor} of ${BYTES} bytes, sha256 ${r.sha}, want ${sha}`);
            return { exact: false };
        }
        runs.push(r.seconds);
    }
    const rawRuns = [];
    for (let i = 0; i < READS; ++i) {
        const r = await rawReadExact(daemon, session, BYTES, sha);
        log(`raw read ${i + 1}/${READS}: ${(r.seconds * 1000).toFixed(1)} ms, exact: ${r.exact}`);
        if (!r.exact) return { exact: false };
        rawRuns.push(r.seconds);
    }
    await tool(conn, 'console_stop_session', { session });
    const s = median(runs);
    const rs = median(rawRuns);
    return {
        exact: true, seconds: s, mibps: BYTES / 1048576 / s, pages: Math.ceil(BYTES / PAGE),
        rawSeconds: rs, rawMibps: BYTES / 1048576 / rs,
    };
}

async function benchRoundTrip(conn) {
    const session = await localSession(conn, ['cat']);
    let cursor = 0;
    const times = [];
    const warmup = Math.min(10, ROUNDTRIPS);
    for (let i = 0; i < ROUNDTRIPS + warmup; ++i) {
        const line = `rt-${i}-x\n`;
        const t0 = now();
        await tool(conn, 'console_send_input', { session, input: line });
        const w = await tool(conn, 'console_wait_for_output', { session, cursor, literal: line, timeout_ms: 10_000 });
        const t1 = now();
        if (w.outcome !== 'matched') throw new Error(`round trip ${i}: ${JSON.stringify(w)}`);
        cursor = w.next_cursor;
        if (i >= warmup) times.push(ms(t1 - t0));
    }
    await tool(conn, 'console_stop_session', { session });
    times.sort((a, b) => a - b);
    return { p50: quantile(times, 0.5), p90: quantile(times, 0.9), p99: quantile(times, 0.99), n: times.length };
}

function spawnToInitialize(daemon) {
    return new Promise((resolve, reject) => {
        const t0 = now();
        const child = spawn(BERTH_BIN, mcpArgs(daemon), { env: mcpEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        let t1 = null;
        const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no initialize reply in 10 s: ${err}`)); }, 10_000);
        child.stderr.on('data', (d) => { err += d; });
        child.stdout.on('data', (d) => {
            out += d;
            if (t1 === null && out.includes('\n')) {
                t1 = now();
                const msg = JSON.parse(out.slice(0, out.indexOf('\n')));
                if (!msg.result) {
                    reject(new Error(`initialize: ${out}`));
                }
                child.stdin.end();
            }
        });
        child.on('exit', () => {
            clearTimeout(timer);
            if (t1 === null) reject(new Error(`berth mcp exited before replying: ${err}`));
            else resolve(ms(t1 - t0));
        });
        child.stdin.write(JSON.stringify({
            jsonrpc: '2.0', id: 1, method: 'initialize',
            params: { protocolVersion: LATEST_LEGACY, capabilities: {}, clientInfo: CLIENT_INFO },
        }) + '\n');
    });
}

async function benchSpawn(daemon) {
    const times = [];
    await spawnToInitialize(daemon); // warm the page cache
    for (let i = 0; i < SPAWNS; ++i) times.push(await spawnToInitialize(daemon));
    return { median: median(times), min: Math.min(...times), max: Math.max(...times), n: times.length };
}

// d. notifications/cancelled to berthd no longer waiting: a raw client cancels a 30 s wait, and
// berthd's berthd_waiting_calls is read in a tight loop until it is back to 0.
const CANCELS = envInt('BENCH_MCP_CANCELS', 20);
async function benchCancel(daemon, conn) {
    const session = await localSession(conn, ['cat']);
    const raw = new RawMcp(daemon);
    const times = [];
    try {
        await raw.initialize();
        for (let i = 0; i < CANCELS; ++i) {
            const id = 100 + i;
            raw.request(id, 'tools/call', {
                name: 'console_wait_for_output', arguments: { session, literal: 'never', timeout_ms: 30_000 },
            });
            while ((await daemon.metric('berthd_waiting_calls')) < 1) await sleep(1);
            const t0 = now();
            raw.notify('notifications/cancelled', { requestId: id, reason: 'bench' });
            while ((await daemon.metric('berthd_waiting_calls')) !== 0) { /* read again at once */ }
            times.push(ms(now() - t0));
        }
    } finally {
        await raw.close();
    }
    await tool(conn, 'console_stop_session', { session });
    times.sort((a, b) => a - b);
    return { p50: quantile(times, 0.5), p90: quantile(times, 0.9), max: times[times.length - 1], n: times.length };
}

async function main() {
    const daemon = await startDaemon();
    const dir = tempDir('berth-mcp-bench-');
    let exact = true;
    let conn;
    try {
        conn = await connect(daemon);
        await conn.client.listTools();
        log(`a: ${BYTES} bytes in ${PAGE}-byte base64 pages, ${READS} reads`);
        const a = await benchRead(conn, dir, daemon);
        exact = a.exact;
        log(`b: ${ROUNDTRIPS} round trips`);
        const b = await benchRoundTrip(conn);
        log(`d: ${CANCELS} cancels`);
        const d = await benchCancel(daemon, conn);
        await conn.close();
        log(`c: ${SPAWNS} spawns`);
        const c = await benchSpawn(daemon);

        const mib = (BYTES / 1048576).toFixed(BYTES % 1048576 ? 2 : 0);
        console.log('| benchmark | result |');
        console.log('|---|---|');
        console.log(a.exact
            ? `| a. ${mib} MiB read exact in 1 MiB base64 pages (${a.pages} console_get_output calls, median of ${READS}) | ${(a.seconds * 1000).toFixed(1)} ms, ${a.mibps.toFixed(1)} MiB/s, sha256 equal |`
            : `| a. ${mib} MiB read in 1 MiB base64 pages | NOT EXACT |`);
        if (a.exact) {
            console.log(`| a'. the same through a linear JSON-lines client (not the SDK) | ${(a.rawSeconds * 1000).toFixed(1)} ms, ${a.rawMibps.toFixed(1)} MiB/s, sha256 equal |`);
        }
        console.log(`| b. console_send_input -> console_wait_for_output (literal echo, local cat), n=${b.n} | p50 ${b.p50.toFixed(2)} ms, p90 ${b.p90.toFixed(2)} ms, p99 ${b.p99.toFixed(2)} ms |`);
        console.log(`| c. \`berth mcp\` spawn to initialize reply (berthd running), n=${c.n} | median ${c.median.toFixed(2)} ms (min ${c.min.toFixed(2)}, max ${c.max.toFixed(2)}) |`);
        console.log(`| d. notifications/cancelled to berthd's wait given back (berthd_waiting_calls 0), n=${d.n} | p50 ${d.p50.toFixed(2)} ms, p90 ${d.p90.toFixed(2)} ms, max ${d.max.toFixed(2)} ms |`);
    } finally {
        // Closed on failure too: a berth mcp left running would keep node from exiting.
        await conn?.close().catch(() => {});
        await daemon.stop();
        rmSync(dir, { recursive: true, force: true });
    }
    process.exitCode = exact ? 0 : 1;
}

main().catch((e) => {
    console.error('mcp_bench:', e.stack ?? e);
    process.exitCode = 1;
});
