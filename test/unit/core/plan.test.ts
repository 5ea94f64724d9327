import { describe, expect, it } from 'vitest';
import { computeDesired } from '../../../src/core/desired.js';
import { plan } from '../../../src/core/plan.js';
import type { DesiredPort, OwnedPort } from '../../../src/core/model.js';
import { deps, ns, tenant } from './fixtures.js';

const blue = tenant('blue', 100, '10.10.0.0/24', ['blue-*'], { gateway: '10.10.0.1' });
const tenants = new Map([['blue', blue]]);

function asOwned(d: DesiredPort, extra: Partial<OwnedPort> = {}): OwnedPort {
  return {
    portUuid: `p-${d.key}`, ifaceUuid: `i-${d.key}`, name: d.hostIf, key: d.key, nsPath: d.ns.path, nsInode: d.ns.inode,
    tenant: d.tenant, tenantId: d.tenantId, cidr: `${d.ip}/${d.prefixLen}`, mac: d.mac, ifName: d.ifName, mtu: d.mtu,
    gateway: d.gateway, ofport: 5, installed: true, ...extra,
  };
}

describe('plan', () => {
  const a = ns('blue-a', 1);
  const b = ns('blue-b', 2);
  const desired = computeDesired(tenants, [a, b], [], deps);
  const [da, db] = [...desired.ports.values()] as [DesiredPort, DesiredPort];

  it('plugs what has no port and keeps what matches: nothing to do on restart', () => {
    const p = plan(desired, [asOwned(da), asOwned(db)], new Set([da.hostIf, db.hostIf]));
    expect(p).toEqual({ plug: [], remove: [], orphanLinks: [], markInstalled: [], keep: [asOwned(da), asOwned(db)] });
    const fresh = plan(desired, []);
    expect(fresh.plug.map((d) => d.key)).toEqual([da.key, db.key]);
  });

  it('removes ports whose namespace is gone and replugs ports whose config changed', () => {
    const gone = asOwned({ ...da, key: '/run/netns/old#7', hostIf: 'nsv000000000000' });
    const stale = asOwned(db, { mtu: 9000 });
    const p = plan(desired, [gone, stale, asOwned(da)]);
    expect(p.remove).toEqual([gone, stale]);
    expect(p.plug.map((d) => d.key)).toEqual([db.key]);
  });

  it('marks ready only what is in place without the marker', () => {
    const p = plan(desired, [asOwned(da, { installed: false }), asOwned(db)]);
    expect(p.markInstalled.map((o) => o.key)).toEqual([da.key]);
    expect(p.plug).toEqual([]);
  });

  it('on full resync: replugs a port whose veth vanished and deletes links without a row', () => {
    const p = plan(desired, [asOwned(da), asOwned(db)], new Set([da.hostIf, 'nsvdeadbeef0001', 'eth0']));
    expect(p.remove.map((o) => o.key)).toEqual([db.key]);
    expect(p.plug.map((d) => d.key)).toEqual([db.key]);
    expect(p.orphanLinks).toEqual(['nsvdeadbeef0001']);
  });

  it('never counts a link outside our derived naming as an orphan, even with our prefix', () => {
    const p = plan(desired, [asOwned(da), asOwned(db)], new Set([da.hostIf, db.hostIf, 'nsvforeign0', 'nsvDEADBEEF0001', 'nsv0000000000000']));
    expect(p.orphanLinks).toEqual([]);
  });

  it('replugs a port whose namespace was removed and came back under the same key', () => {
    const p = plan(desired, [asOwned(da), asOwned(db)], undefined, new Set([da.key]));
    expect(p.remove.map((o) => o.key)).toEqual([da.key]);
    expect(p.plug.map((d) => d.key)).toEqual([da.key]);
  });

  it('removes duplicate rows for one namespace, keeping the first', () => {
    const p = plan(desired, [asOwned(da), asOwned(da, { portUuid: 'dup' }), asOwned(db)]);
    expect(p.remove.map((o) => o.portUuid)).toEqual(['dup']);
  });
});
