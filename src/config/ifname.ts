// Linux interface-name rules (the kernel's dev_valid_name), shared by bridge names and manifest interface names.

/** Longest interface name the kernel accepts, in bytes (IFNAMSIZ - 1). */
export const IFNAME_MAX_BYTES = 15;

/** Plain rule text used in every error message about an interface name. */
export const IFNAME_RULE = '1 to 15 bytes, not "." or "..", without "/", ":" or whitespace';

export function isValidIfName(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  if (Buffer.byteLength(name, 'utf8') > IFNAME_MAX_BYTES) return false;
  return !/[/:\s]/u.test(name);
}
