/** Sortable, unique snapshot directory names. */
export function snapshotVersion(): string {
  return `${Date.now().toString().padStart(15, '0')}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
