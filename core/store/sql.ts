// Small helpers for the SQL the store writes: statements take at most CHUNK rows, with `?` marks.

export const CHUNK = 200;

export const chunks = <T>(items: T[], size = CHUNK) => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

export const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

export const nowIso = () => new Date().toISOString();
