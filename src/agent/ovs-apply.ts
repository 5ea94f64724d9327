/** How long to wait for ovs-vswitchd to apply a change (cur_cfg). */
export const APPLY_TIMEOUT_MS = 30_000;
