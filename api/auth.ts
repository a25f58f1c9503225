import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { ConfiguredToken, TokenRole } from '../core/config';
import { Problem } from './problem';

export type Role = TokenRole;
export type TokenGrant = ConfiguredToken;

const RANK: Record<Role, number> = { webhook: 0, viewer: 1, operator: 2, admin: 3 };

// Tokens are compared as SHA-256 digests with timingSafeEqual: equal lengths, constant time.
const digest = (s: string) => createHash('sha256').update(s).digest();

export function bearerAuth(grants: TokenGrant[], need: Role): RequestHandler {
  const known = grants.map((g) => ({ ...g, hash: digest(g.token) }));
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      res.set('WWW-Authenticate', 'Bearer realm="herald"');
      return next(new Problem(401, 'Unauthorized', 'send an Authorization: Bearer <token> header'));
    }
    const presented = digest(match[1]!);
    let found: (typeof known)[number] | undefined;
    for (const g of known) if (timingSafeEqual(g.hash, presented)) found = g;
    if (!found) {
      res.set('WWW-Authenticate', 'Bearer realm="herald", error="invalid_token"');
      return next(new Problem(401, 'Unauthorized', 'the token is not valid'));
    }
    const allowed =
      need === 'webhook'
        ? found.role === 'webhook' || found.role === 'admin'
        : found.role !== 'webhook' && RANK[found.role] >= RANK[need];
    if (!allowed) return next(new Problem(403, 'Forbidden', `this route needs the ${need} role`));
    res.locals.actor = found.name;
    res.locals.role = found.role;
    next();
  };
}
