import { FAMILIES } from '../registry.js';

/** Text listing each task's config fields; tasks not built yet are named as such. Loaded lazily by --help. */
let cached = '';
export function configHelp(): string {
  return cached || '\nConfig fields are documented in configs/README.md (one table per task).\n';
}

export async function preloadConfigHelp(): Promise<void> {
  const { fieldsAsText } = await import('../config/describe.js');
  const parts: string[] = ['\nConfig fields (YAML; `task:` selects the table):'];
  for (const { name, summary, task: load } of FAMILIES) {
    if (!load) {
      parts.push(`\ntask: ${name}  (${summary}; not built yet)`);
      continue;
    }
    const task = await load();
    parts.push(`\ntask: ${name}  (${summary})\n${fieldsAsText(task.schema)}`);
  }
  cached = parts.join('\n') + '\n';
}
