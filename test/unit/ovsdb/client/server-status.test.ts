import { describe, expect, it } from 'vitest';
import { memberProblem, parseDatabaseStatus, type DatabaseStatus } from '../../../../src/ovsdb/client/server-status.js';

const row = (over: Partial<DatabaseStatus>): DatabaseStatus => ({ name: 'OVN_Northbound', model: 'clustered', connected: true, leader: true, index: 10, ...over });

describe('choosing a member from _Server', () => {
  it('reads Database rows as ovsdb-server sends them (optional index as an empty set or a bare integer)', () => {
    expect(parseDatabaseStatus({ name: 'Test', model: 'clustered', connected: true, leader: false, index: 42 })).toEqual({ name: 'Test', model: 'clustered', connected: true, leader: false, index: 42 });
    expect(parseDatabaseStatus({ name: 'Open_vSwitch', model: 'standalone', connected: true, leader: true, index: ['set', []] })).toMatchObject({ index: undefined });
    expect(parseDatabaseStatus({ model: 'clustered' })).toBeUndefined();
  });

  it('refuses a member without quorum, a follower in leader-only mode, and one behind an index seen before', () => {
    const seen = new Map<string, number>();
    expect(memberProblem([row({ connected: false })], { leaderOnly: false }, seen)).toMatch(/not connected/);
    expect(memberProblem([row({ leader: false })], { leaderOnly: true }, seen)).toMatch(/not the leader/);
    expect(memberProblem([row({ leader: false })], { leaderOnly: false }, seen)).toBeUndefined();
    expect(seen.get('OVN_Northbound')).toBe(10);
    expect(memberProblem([row({ index: 9 })], { leaderOnly: true }, seen)).toMatch(/behind \(index 9 < 10/);
    expect(memberProblem([row({ index: 12 })], { leaderOnly: true }, seen)).toBeUndefined();
    expect(seen.get('OVN_Northbound')).toBe(12);
  });

  it('ignores standalone databases and, when told, every database but the named ones', () => {
    const seen = new Map<string, number>();
    expect(memberProblem([row({ name: '_Server', model: 'standalone', leader: false }), row({ name: 'Open_vSwitch', model: 'standalone' })], { leaderOnly: true }, seen)).toBeUndefined();
    const rows = [row({ name: 'OVN_Northbound' }), row({ name: 'OVN_Southbound', leader: false })];
    expect(memberProblem(rows, { leaderOnly: true }, seen)).toMatch(/OVN_Southbound/);
    expect(memberProblem(rows, { leaderOnly: true, databases: ['OVN_Northbound'] }, seen)).toBeUndefined();
  });
});
