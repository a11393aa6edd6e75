/** Typed errors for array files: every message starts with the file name and names the field or index at fault. */

/** Base class of all file errors, so callers can catch "anything wrong with this file" at once. */
export class FileError extends Error {
  override name = 'FileError';
  /** The file (path, or a label such as `<npy>` for in-memory bytes). */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.file = file;
  }
}

/**
 * The bytes are not a valid file of the expected format (corrupt, truncated, wrong
 * shape or dtype, NaN/Inf where finite values are required).
 * Example message: `data.safetensors: tensor "x": byte length 396 does not match shape [10,10] × float32 (400)`.
 */
export class FileFormatError extends FileError {
  override name = 'FileFormatError';
  /** The offending field, e.g. `header length`, `tensor "x"`, `shape`, `element [3, 17]`. */
  readonly field: string;

  /** @param detail the message after the file name; it should mention `field` (e.g. `tensor "x": …`). */
  constructor(file: string, field: string, detail: string) {
    super(file, detail);
    this.field = field;
  }
}

/** The file could not be read or written at all (missing, a directory, no permission, disk full). */
export class FileAccessError extends FileError {
  override name = 'FileAccessError';
  /** The system error code when there is one (`ENOENT`, `EISDIR`, …). */
  readonly code: string | undefined;

  constructor(file: string, action: 'read' | 'write', cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' ? (REASONS[code] ?? code) : cause instanceof Error ? cause.message : String(cause);
    super(file, `cannot ${action} (${reason})`, { cause });
    this.code = typeof code === 'string' ? code : undefined;
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
};
