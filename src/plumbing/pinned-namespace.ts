import { closeSync, constants, fstatSync, openSync, statSync, statfsSync } from 'node:fs';

/** statfs f_type of nsfs: the file is a mounted namespace, not a plain file. */
export const NSFS_MAGIC = 0x6e736673;

/** A namespace held open by the agent for the length of one plug. */
export interface PinnedNamespace {
  readonly path: string;
  /** `/proc/PID/fd/N`: refers to the pinned namespace; safe text for `ip -batch` and nsenter. */
  readonly ref: string;
  /** The open file descriptor itself (for setns in the native addon). */
  readonly fd: number;
  readonly dev: number;
  readonly inode: number;
  /** Why the path no longer names the pinned namespace, or undefined while it still does. */
  gone(): Promise<string | undefined>;
  /** gone() without a promise. */
  goneSync(): string | undefined;
  /** Closes the descriptor (a second call does nothing). */
  close(): Promise<void>;
  /** close() without a promise. */
  closeSync(): void;
}

/** The result of pinning: a pinned namespace, or why it cannot be. */
export type PinResult = { readonly ok: true; readonly ns: PinnedNamespace } | { readonly ok: false; readonly reason: string };

/**
 * Opens the namespace file so that (a) batch text and nsenter can refer to it
 * by a path made only of digits, however hostile its real name, and (b) the
 * namespace cannot vanish or be swapped between plug steps: if its file is
 * removed meanwhile, everything created in it dies with it when we close.
 *
 * The system calls (open, fstat, statfs, later stat and close) are made
 * synchronously: each is a few microseconds on nsfs, while a thread-pool
 * round trip per call cost tens to hundreds of microseconds (a context switch
 * each, more under load) on the attach path. O_NONBLOCK keeps open() itself
 * from waiting (a FIFO planted in the directory).
 */
export async function pinNamespace(path: string, expectedInode?: number): Promise<PinResult> {
  return pinNamespaceSync(path, expectedInode);
}

/** pinNamespace without a promise (the same checks, the same results). */
export function pinNamespaceSync(path: string, expectedInode?: number): PinResult {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted in a namespace dir must not hang the agent.
    // O_NOFOLLOW: a symlink swapped in after discovery (to /proc/self/ns/net, another tenant's file) is refused here too.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { ok: false, reason: 'is a symbolic link (refused)' };
    return { ok: false, reason: code === 'ENOENT' ? 'no such file' : String((err as Error).message) };
  }
  const ref = `/proc/${process.pid}/fd/${fd}`;
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    closeSync(fd);
  };
  try {
    const st = fstatSync(fd);
    const fsType = statfsSync(ref).type;
    if (fsType !== NSFS_MAGIC) {
      close();
      return { ok: false, reason: 'not a mounted namespace (nsfs) file' };
    }
    if (expectedInode !== undefined && st.ino !== expectedInode) {
      close();
      return { ok: false, reason: `replaced by another namespace (inode ${st.ino}, expected ${expectedInode})` };
    }
    const pinned: PinnedNamespace = {
      path,
      ref,
      fd,
      dev: st.dev,
      inode: st.ino,
      async gone() {
        return pinned.goneSync();
      },
      goneSync() {
        try {
          const now = statSync(path);
          return now.ino === st.ino && now.dev === st.dev ? undefined : 'unmounted or replaced while being plugged';
        } catch {
          return 'removed while being plugged';
        }
      },
      async close() {
        close();
      },
      closeSync: close,
    };
    return { ok: true, ns: pinned };
  } catch (err) {
    try {
      close();
    } catch {
      // already failing: the first error is the one reported
    }
    return { ok: false, reason: String((err as Error).message) };
  }
}
