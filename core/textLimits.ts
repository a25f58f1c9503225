// Bounds on what operators write into incidents and maintenance windows. The API's request schemas
// (core/textSchemas.ts, zod) and the workflows' validators read the same numbers; this module stays
// free of zod so the workflow bundle does not carry it.

export const ID_MAX = 64;
export const TITLE_MIN = 3;
export const TITLE_MAX = 200;
/** Customer-facing words: an impact, an update, a resolution, a maintenance note. */
export const MESSAGE_MAX = 4000;
export const TECHNICAL_DETAIL_MAX = 4000;
export const OWNER_MAX = 200;
export const COMPONENTS_MAX = 50;
