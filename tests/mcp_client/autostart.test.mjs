// No berthd on the socket: `berth mcp` starts one (and says so on stderr), serves through it,
// and the started berthd exits once it has no sessions and no clients. With --no-autostart,
// tool calls say that nothing answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync, rmSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { BERTH_BIN, CLIENT_INFO, mcpEnv, tempDir, eventually, pidAlive, within, resultText } from './harness.mjs';

async function spawnMcp(args) {
    const transport = new StdioClientTransport({ command: BERTH_BIN, args, env: mcpEnv(), stderr: 'pipe' });
    let stderr = '';
    transport.stderr.on('data', (d) => { stderr += d.toString(); });
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    await within(20_000, client.connect(transport), 'initialize');
    return { client, stderr: () => stderr };
}

test('berth mcp starts berthd when none answers, and that berthd exits when idle', { timeout: 60_000 }, async () => {
    const dir = tempDir('berth-mcp-auto-');
    const socket = path.join(dir, 'b.sock');
    try {
        const mcp = await spawnMcp(['mcp', '--socket', socket, '--state-dir', path.join(dir, 'state'), '--idle-exit', '2']);
        const m = /started (\S+) \(pid (\d+), state (\S+),/.exec(mcp.stderr());
        assert.ok(m, `stderr says berthd was started: ${mcp.stderr()}`);
        const pid = Number(m[2]);
        assert.equal(m[3], path.join(dir, 'state'));
        assert.ok(pidAlive(pid));
        assert.ok(existsSync(socket));

        const r = await mcp.client.callTool({ name: 'console_execute_command', arguments: { command: 'echo auto; exit 4' } });
        assert.ok(!r.isError, resultText(r));
        assert.equal(r.structuredContent.output, 'auto\n');
        assert.equal(r.structuredContent.exit_code, 4);

        await mcp.client.close();
        // No sessions open and no client: gone after about 2 s, its socket with it.
        await eventually(() => !pidAlive(pid) && !existsSync(socket), 15_000, 'the auto-started berthd exits when idle');
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

// berth mcp keeps its connections to the berthd it started, so that berthd does not go idle
// while the client is there; but it may crash or be killed. The next call then starts another
// (as tmux starts its server for the next command), and the dead one is reaped, not left a zombie.
test('a berthd berth mcp started that died is started again by the next call, and reaped', { timeout: 60_000 }, async () => {
    const dir = tempDir('berth-mcp-reauto-');
    const socket = path.join(dir, 'b.sock');
    const started = (stderr) => [...stderr.matchAll(/started \S+ \(pid (\d+),/g)].map((m) => Number(m[1]));
    try {
        const mcp = await spawnMcp(['mcp', '--socket', socket, '--state-dir', path.join(dir, 'state'), '--idle-exit', '2']);
        const [first] = started(mcp.stderr());
        assert.ok(first, `stderr says berthd was started: ${mcp.stderr()}`);
        let r = await mcp.client.callTool({ name: 'console_execute_command', arguments: { command: 'echo one' } });
        assert.ok(!r.isError, resultText(r));

        process.kill(first, 'SIGKILL');
        r = await mcp.client.callTool({ name: 'console_execute_command', arguments: { command: 'echo two; exit 5' } });
        assert.ok(!r.isError, resultText(r));
        assert.equal(r.structuredContent.output, 'two\n');
        assert.equal(r.structuredContent.exit_code, 5);
        const pids = started(mcp.stderr());
        assert.equal(pids.length, 2, `a second berthd was started: ${mcp.stderr()}`);
        assert.notEqual(pids[1], first);
        assert.ok(!existsSync(`/proc/${first}`), `the killed berthd (pid ${first}) was reaped, not left a zombie`);

        await mcp.client.close();
        await eventually(() => !pidAlive(pids[1]), 15_000, 'the second berthd exits when idle');
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

test('with --no-autostart and nothing on the socket, tools say so', { timeout: 30_000 }, async () => {
    const dir = tempDir('berth-mcp-noauto-');
    try {
        const socket = path.join(dir, 'none.sock');
        const mcp = await spawnMcp(['mcp', '--socket', socket, '--no-autostart']);
        const r = await mcp.client.callTool({ name: 'console_list_sessions', arguments: {} });
        assert.equal(r.isError, true);
        assert.match(resultText(r), /no berthd answers at .*none\.sock/);
        assert.ok(!existsSync(socket), 'nothing was started');
        await mcp.client.close();
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});
