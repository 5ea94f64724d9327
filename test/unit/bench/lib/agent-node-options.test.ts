import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_OPTIONS } from '../../../../bench/lib/agent-process.js';

describe('agent node options', () => {
  it('are the ones the shipped systemd unit and container recipe set, so benchmarks measure what is deployed', () => {
    expect(readFileSync('deploy/systemd/nsvswitch.service', 'utf8')).toContain(`Environment=NODE_OPTIONS=${AGENT_NODE_OPTIONS}`);
    expect(readFileSync('deploy/container/Containerfile', 'utf8')).toContain(`ENV NODE_OPTIONS=${AGENT_NODE_OPTIONS}`);
  });
});
