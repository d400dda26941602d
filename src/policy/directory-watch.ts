import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

/** A running watch; `close()` stops the watcher and its timer. @internal */
export interface DirectoryWatch {
  close(): void;
}

/**
 * Calls `onChange` once things settle (`debounceMs` without a new event) after each change in
 * the folder of `file`. The folder is watched, not the file: Kubernetes updates a mounted
 * ConfigMap by renaming a `..data` symlink over the old one, and editors write a temporary
 * file and rename it; either way the inode a file watch holds is no longer the file.
 * Neither the watcher nor the timer keeps the process alive.
 * @internal
 */
export function watchFolderOf(
  file: string,
  onChange: () => void,
  onError: (error: Error) => void,
  debounceMs = 50,
): DirectoryWatch {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const changed = () => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) onChange();
    }, debounceMs);
    timer.unref();
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, changed);
    watcher.on('error', (error) => onError(error));
  } catch (error) {
    onError(error instanceof Error ? error : new Error(String(error)));
  }
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      watcher?.close();
    },
  };
}
