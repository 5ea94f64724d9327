// Interface names: the kernel's rule (bridges) and the stricter one for names we put in `ip -batch` text.

/** Longest interface name the kernel accepts, in bytes (IFNAMSIZ - 1). */
export const IFNAME_MAX_BYTES = 15;

/** The kernel's rule (dev_valid_name), as error messages state it. */
export const KERNEL_IFNAME_RULE = '1 to 15 bytes, not "." or "..", without "/", ":" or whitespace';

/** The rule for names nsvswitch creates or renames (one `ip -batch` token each), as error messages state it. */
export const IFNAME_RULE = '1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"';

/** Names the kernel or plumbing keep for themselves: never a workload's tenant interface. */
export const RESERVED_IFNAMES: ReadonlySet<string> = new Set(['lo']);

// ASCII only, and no quote, '#', '\\' or leading '-': a name is always exactly one `ip -batch` token.
const SAFE_IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,14}$/;

/** Whether the kernel accepts `name` as an interface name (dev_valid_name). */
export function isKernelIfName(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  if (Buffer.byteLength(name, 'utf8') > IFNAME_MAX_BYTES) return false;
  return !/[/:\s]/u.test(name);
}

/** Whether `name` is a kernel interface name that is also safe as one `ip -batch` token. */
export function isSafeIfName(name: string): boolean {
  return SAFE_IFNAME.test(name);
}

/** Why `name` cannot be a workload's tenant interface (manifests and plumbing both ask), or undefined. */
export function workloadIfNameFault(name: string): string | undefined {
  if (!isSafeIfName(name)) return `is not a valid Linux interface name: ${IFNAME_RULE}`;
  if (RESERVED_IFNAMES.has(name)) return 'is reserved (the loopback interface)';
  return undefined;
}
