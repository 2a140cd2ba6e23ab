/** Elements built from data, never from HTML strings: every text goes in as text, so nothing can inject markup. */
export type Child = Node | string | number | null | undefined | false | Child[];

type Listeners = Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
type Value = string | number | boolean | null | undefined;

/** Attributes (a boolean adds or leaves out a flag), DOM properties such as `value`, and listeners in `on`. */
interface Attributes {
  on?: Listeners;
  [name: string]: Value | Listeners;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  const { on, ...rest } = attributes;
  for (const [name, value] of Object.entries(rest) as [string, Value][]) {
    if (value === null || value === undefined || value === false) continue;
    if (name in element && typeof value !== 'string' && name !== 'class') {
      (element as unknown as Record<string, unknown>)[name] = value;
    } else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [event, handler] of Object.entries(on ?? {}))
    element.addEventListener(event, handler as EventListener);
  element.append(...nodes(children));
  return element;
}

/** Children as the DOM takes them: nested lists flattened, the absent left out. */
export function nodes(children: Child[]): (Node | string)[] {
  return children.flatMap((child) => {
    if (child === null || child === undefined || child === false) return [];
    if (Array.isArray(child)) return nodes(child);
    return [typeof child === 'number' ? String(child) : child];
  });
}

/** A table in a keyboard-scrollable region, so a wide table scrolls inside the page instead of widening it. */
export function table(label: string, head: string[], rows: Child[][]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: 0 },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((cell) => h('th', { scope: 'col' }, cell)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            {},
            row.map((cell) => h('td', {}, cell)),
          ),
        ),
      ),
    ),
  );
}

/** Terms and their values, as a definition list laid out in two columns. */
export function facts(entries: [string, Child][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    entries.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))),
  );
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'medium' });
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return `${Math.max(seconds, 0)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} days ago`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** Field values as a person reads them: addresses joined, empty shown as a dash. */
export function fieldValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'object')
    return (
      Object.values(value as Record<string, unknown>)
        .filter((part) => part !== null && part !== undefined && part !== '')
        .join(', ') || '—'
    );
  return typeof value === 'string' ? value : JSON.stringify(value);
}
