import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../../src/cli/status-table.js';
import type { StatusReport } from '../../../src/observe/status-types.js';
import { sampleStatus } from '../observe/fixtures.js';

describe('status tables with backend ovn', () => {
  const base = sampleStatus();
  const withOvn = (ovn: NonNullable<StatusReport['ovn']>): StatusReport => ({ ...base, ovn });

  it('shows the chassis, both databases, and per workload its logical port and whether it is installed, bound and up', () => {
    const text = formatStatus(withOvn({
      chassis: 'h1',
      nb: { connected: true, remote: 'tcp:172.31.0.1:6641' },
      sb: { connected: true, remote: 'tcp:172.31.0.1:6652', chassisRegistered: true, encaps: ['geneve 172.31.0.11'] },
      ports: [
        { namespace: '/run/netns/blue-1', tenant: 'blue', lsp: 'nsvs-h1-nsv0123', installed: true, bound: true, up: true },
        { namespace: '/run/netns/blue-2', tenant: 'blue', lsp: 'nsvs-h1-nsv4567', installed: false, bound: false, up: false },
      ],
    }));
    expect(text).toContain('OVN chassis h1: northbound connected (tcp:172.31.0.1:6641), southbound connected (tcp:172.31.0.1:6652), chassis registered (geneve 172.31.0.11)');
    expect(text).toMatch(/OVN PORTS\nNAMESPACE\s+TENANT\s+LOGICAL PORT\s+INSTALLED\s+BOUND\s+UP\n\/run\/netns\/blue-1\s+blue\s+nsvs-h1-nsv0123\s+yes\s+yes\s+yes\n\/run\/netns\/blue-2\s+blue\s+nsvs-h1-nsv4567\s+no\s+no\s+no/);
  });

  it('says so loudly when a database is unreachable or the chassis is not registered, and prints "-" for what it does not know', () => {
    const text = formatStatus(withOvn({
      chassis: 'h\u001b2', nb: { connected: false }, sb: { connected: false, chassisRegistered: false, encaps: [] },
      ports: [{ namespace: '/run/netns/x', tenant: 'blue', lsp: 'nsvs-h2-nsv1', installed: false }],
    }));
    expect(text).toContain('OVN chassis h\\x1b2: northbound DISCONNECTED, southbound DISCONNECTED, chassis NOT REGISTERED');
    expect(text).toMatch(/nsvs-h2-nsv1\s+no\s+-\s+-/);
  });

  it('has no OVN section for the local backend', () => {
    expect(formatStatus(base)).not.toContain('OVN');
  });
});
