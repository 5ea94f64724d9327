import { constants } from 'node:fs';
import { open, stat, statfs, type FileHandle } from 'node:fs/promises';

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
  close(): Promise<void>;
}

/** The result of pinning: a pinned namespace, or why it cannot be. */
export type PinResult = { readonly ok: true; readonly ns: PinnedNamespace } | { readonly ok: false; readonly reason: string };

/**
 * Opens the namespace file so that (a) batch text and nsenter can refer to it
 * by a path made only of digits, however hostile its real name, and (b) the
 * namespace cannot vanish or be swapped between plug steps: if its file is
 * removed meanwhile, everything created in it dies with it when we close.
 */
export async function pinNamespace(path: string, expectedInode?: number): Promise<PinResult> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO planted in a namespace dir must not hang the agent.
    // O_NOFOLLOW: a symlink swapped in after discovery (to /proc/self/ns/net, another tenant's file) is refused here too.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { ok: false, reason: 'is a symbolic link (refused)' };
    return { ok: false, reason: code === 'ENOENT' ? 'no such file' : String((err as Error).message) };
  }
  const ref = `/proc/${process.pid}/fd/${handle.fd}`;
  try {
    const st = await handle.stat();
    const fsType = (await statfs(ref)).type;
    if (fsType !== NSFS_MAGIC) {
      await handle.close();
      return { ok: false, reason: 'not a mounted namespace (nsfs) file' };
    }
    if (expectedInode !== undefined && st.ino !== expectedInode) {
      await handle.close();
      return { ok: false, reason: `replaced by another namespace (inode ${st.ino}, expected ${expectedInode})` };
    }
    const pinned: PinnedNamespace = {
      path,
      ref,
      fd: handle.fd,
      dev: st.dev,
      inode: st.ino,
      async gone() {
        try {
          const now = await stat(path);
          return now.ino === st.ino && now.dev === st.dev ? undefined : 'unmounted or replaced while being plugged';
        } catch {
          return 'removed while being plugged';
        }
      },
      close: () => handle.close(),
    };
    return { ok: true, ns: pinned };
  } catch (err) {
    await handle.close().catch(() => undefined);
    return { ok: false, reason: String((err as Error).message) };
  }
}
