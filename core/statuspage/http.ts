import { extname } from 'node:path';

// How each published file is served, the same from the status server, S3 and any CDN in front:
// its content type and its Cache-Control. Short max-age on what changes during an incident, a
// long stale-if-error everywhere so a CDN keeps answering when the origin is gone.

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.atom': 'application/atom+xml; charset=utf-8',
  '.rss': 'application/rss+xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export function cacheControlFor(path: string): string {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'public, max-age=10, stale-while-revalidate=30, stale-if-error=86400';
  if (ext === '.js') return 'public, max-age=300, stale-while-revalidate=3600, stale-if-error=604800';
  if (ext === '.atom' || ext === '.rss') return 'public, max-age=60, stale-if-error=86400';
  return 'public, max-age=30, stale-while-revalidate=30, stale-if-error=86400';
}
