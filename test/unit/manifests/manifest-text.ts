// Builds tenant manifests whose fields sit on fixed lines, so tests can assert exact file:line.
//  1 apiVersion   2 kind   3 metadata   4 spec:   5 id   6 subnet   7 gateway   8 namespaces
//  9 interface   10 extra spec line (e.g. staticAddresses)   11+ more extra lines

export interface TenantLinesText {
  apiVersion?: string | null;
  kind?: string | null;
  metadata?: string | null;
  name?: string;
  id?: string | null;
  subnet?: string | null;
  gateway?: string | null;
  namespaces?: string | null;
  iface?: string | null;
  extra?: string[];
}

/** One Tenant document; a field set to null is replaced by a comment line so later lines keep their numbers. */
export function tenantYaml(o: TenantLinesText = {}): string {
  const name = o.name ?? 'blue';
  const line = (v: string | null | undefined, dflt: string, indent = ''): string => (v === null ? `${indent}# (omitted)` : `${indent}${v ?? dflt}`);
  return [
    line(o.apiVersion === undefined ? undefined : o.apiVersion === null ? null : `apiVersion: ${o.apiVersion}`, 'apiVersion: nsvswitch/v1'),
    line(o.kind === undefined ? undefined : o.kind === null ? null : `kind: ${o.kind}`, 'kind: Tenant'),
    line(o.metadata, `metadata: { name: ${name} }`),
    'spec:',
    line(o.id === undefined ? undefined : o.id === null ? null : `id: ${o.id}`, 'id: 100', '  '),
    line(o.subnet === undefined ? undefined : o.subnet === null ? null : `subnet: ${o.subnet}`, 'subnet: 10.10.0.0/24', '  '),
    line(o.gateway === undefined ? undefined : o.gateway === null ? null : `gateway: ${o.gateway}`, 'gateway: 10.10.0.1', '  '),
    line(o.namespaces === undefined ? undefined : o.namespaces === null ? null : `namespaces: ${o.namespaces}`, `namespaces: ["${name}-*"]`, '  '),
    line(o.iface === undefined ? undefined : o.iface === null ? null : `interface: ${o.iface}`, 'interface: { name: eth0, mtu: 1500 }', '  '),
    ...(o.extra ?? []).map((l) => `  ${l}`),
    '',
  ].join('\n');
}

/** A second tenant document for multi-document files (fields at the same offsets after the separator). */
export function tenantDoc(fields: { name: string; id: number; subnet: string; gateway?: string; namespaces?: string[] }): string {
  return [
    'apiVersion: nsvswitch/v1',
    'kind: Tenant',
    `metadata: { name: ${fields.name} }`,
    'spec:',
    `  id: ${fields.id}`,
    `  subnet: ${fields.subnet}`,
    fields.gateway === undefined ? '  # no gateway' : `  gateway: ${fields.gateway}`,
    `  namespaces: ${JSON.stringify(fields.namespaces ?? [`${fields.name}-*`])}`,
    '',
  ].join('\n');
}
