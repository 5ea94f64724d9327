/** OpenFlow's last usable port number; 0xff00 and above are reserved ports. */
export const MAX_OFPORT = 0xfeff;

/**
 * First OpenFlow port number nsvswitch asks for. ovs-vswitchd hands out the
 * lowest free number on its own (1, 2, ...), so a port someone else adds
 * to the bridge would race us for the numbers we plan with; from 32768 up
 * it never gets there in practice (Antrea does the same).
 */
export const OFPORT_REQUEST_MIN = 32_768;

/** Whether `n` is a port number a flow can output to (new ports read -1 or nothing until ovs-vswitchd picks one). */
export function isUsableOfport(n: number | undefined): n is number {
  return n !== undefined && Number.isInteger(n) && n >= 1 && n <= MAX_OFPORT;
}
