import { Command } from 'commander';
import { apiClient, print, withApi, type ApiOptions } from '../client';

interface Preview {
  templateId: string;
  subject: string;
  text: string;
  short: string;
  guard: string | null;
  scenario: string;
  phase: string;
  channel: string;
  locale: string;
  kind: string;
}

export function previewCommand(): Command {
  return withApi(
    new Command('preview')
      .description('render a message template with sample data (GET /v1/preview)')
      .requiredOption('--scenario <id>', 'scenario of the plan')
      .option(
        '--phase <phase>',
        'initial, update, holding, etaMissed, resolved; or announce, reminder, start, update, complete, cancel, reschedule, overrun',
      )
      .option('--channel <channel>', 'email, sms, push, voice, chat or webhook', 'email')
      .option('--locale <locale>', "a locale of the plan (default: the page's)")
      .option('--kind <kind>', 'external or internal', 'external'),
  ).action(async (o: ApiOptions & { scenario: string; phase?: string; channel: string; locale?: string; kind: string }) => {
    const q = new URLSearchParams(
      Object.entries({ scenario: o.scenario, phase: o.phase, channel: o.channel, locale: o.locale, kind: o.kind }).filter(
        ([, v]) => v !== undefined,
      ) as [string, string][],
    );
    const p = await apiClient(o).get<Preview>(`/v1/preview?${q}`);
    if (o.json) return print(o, p);
    console.log(`# ${p.templateId} · ${p.phase} · ${p.channel} · ${p.locale} · ${p.kind}`);
    console.log(`Subject: ${p.subject}`);
    console.log(`Short:   ${p.short}\n`);
    console.log(p.text);
    if (p.guard) console.log(`\n! the content guard would refuse this: ${p.guard}`);
  });
}
