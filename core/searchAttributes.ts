import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Herald's search attributes, shown and filterable in the Temporal UI. Safe to import in workflows.
export const HeraldKind = defineSearchAttributeKey('HeraldKind', SearchAttributeType.KEYWORD);
export const HeraldSeverity = defineSearchAttributeKey('HeraldSeverity', SearchAttributeType.KEYWORD);
export const HeraldStatus = defineSearchAttributeKey('HeraldStatus', SearchAttributeType.KEYWORD);
export const HeraldComponents = defineSearchAttributeKey('HeraldComponents', SearchAttributeType.KEYWORD_LIST);
export const HeraldDrill = defineSearchAttributeKey('HeraldDrill', SearchAttributeType.BOOL);

export const HERALD_SEARCH_ATTRIBUTES = [HeraldKind, HeraldSeverity, HeraldStatus, HeraldComponents, HeraldDrill] as const;

/** The dev server's `--search-attribute NAME=Type` spelling of each key. */
export const DEV_SERVER_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  [SearchAttributeType.BOOL]: 'Bool',
};
