// Who may write the manifests: whoever can write the directory or a file chooses every workload's
// network. Modelled on sshd's StrictModes: the directory and each file (and, for a symlinked file, the
// directory its target is in) must be owned by root or by the agent's user, and not be writable by
// group or others. Pure: the caller stats.

/** The fields of fs.Stats this check reads. */
export interface ModeInfo {
  readonly mode: number;
  readonly uid: number;
}

/** Why `path` may not be trusted, or undefined. `what` is "manifest directory", "manifest file"… */
export function insecureReason(what: string, path: string, st: ModeInfo, agentUid: number): string | undefined {
  const perms = (st.mode & 0o7777).toString(8).padStart(4, '0');
  if (st.uid !== 0 && st.uid !== agentUid) {
    return `${what} ${path} is owned by uid ${st.uid}, neither root nor the agent's uid ${agentUid}: that user chooses every workload's network (chown root ${path}, or set manifestStrictModes: false)`;
  }
  if ((st.mode & 0o022) !== 0) {
    const who = (st.mode & 0o020) !== 0 && (st.mode & 0o002) !== 0 ? 'group and others' : (st.mode & 0o020) !== 0 ? 'its group' : 'others';
    return `${what} ${path} is writable by ${who} (mode ${perms}): whoever can write it chooses every workload's network (chmod go-w ${path}, or set manifestStrictModes: false)`;
  }
  return undefined;
}
