import { joinForSentence } from './messageWords';
import type { Plan } from './plan/schema';

// The customer-facing impact of an incident a monitoring alert opened: the plan's own words for the
// affected business functions, in every page locale that has a sentence here, so each reader gets
// their language (a locale without one gets the phase's plan wording, never another language).

const SENTENCES: Record<string, (functions: string) => string> = {
  en: (f) => `Some customers may have problems with ${f}.`,
  'zh-TW': (f) => `部分客戶在使用以下功能時可能遇到問題：${f}。`,
};

export function alertImpactWords(plan: Plan, componentIds: string[]): Record<string, string> {
  const components = componentIds.flatMap((id) => plan.components.filter((c) => c.id === id));
  const out: Record<string, string> = {};
  for (const locale of plan.page.locales) {
    const sentence = SENTENCES[locale];
    if (!sentence) continue;
    const functions = components.map((c) => c.businessFunction[locale] ?? c.businessFunction[plan.page.defaultLocale] ?? c.id);
    out[locale] = sentence(joinForSentence(functions, locale));
  }
  return out;
}
