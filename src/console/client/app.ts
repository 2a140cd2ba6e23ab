import { explain, signOut } from './api';
import { h, nodes, type Child } from './dom';

/** What a page gets: its URL's parts, a signal that aborts when the user leaves it, and ways to talk back. */
export interface PageContext {
  params: string[];
  query: URLSearchParams;
  signal: AbortSignal;
  navigate: (path: string, options?: { replace?: boolean }) => void;
  /** Says something to screen readers (and shows it), e.g. "Conflict resolved". */
  announce: (message: string) => void;
  /** Runs `task` every `ms` while the page is open; a failing run is announced and the next one still runs. */
  every: (ms: number, task: () => Promise<void>) => void;
}

export interface Page {
  path: RegExp;
  title: string;
  render(context: PageContext): Promise<Child>;
}

const nav = [
  ['/console/connections', 'Connections'],
  ['/console/contacts', 'Contacts'],
  ['/console/conflicts', 'Conflicts'],
  ['/console/failing', 'Failing records'],
  ['/console/events', 'Events'],
  ['/console/follow-ups', 'Follow-ups'],
] as const;

/** The single-page app: the layout, client-side routing under /console, and one page at a time. */
export class ConsoleApp {
  private leave = new AbortController();
  private readonly main = h('main', { id: 'main', tabindex: -1 });
  private readonly status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });

  constructor(
    private readonly pages: Page[],
    private readonly signIn: Page,
  ) {
    window.addEventListener('popstate', () => void this.show());
    document.addEventListener('click', (event) => {
      const link = (event.target as Element | null)?.closest('a');
      if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
      if (link.getAttribute('href')?.startsWith('#')) return;
      const url = new URL(link.href, window.location.href);
      if (url.origin !== window.location.origin || !url.pathname.startsWith('/console') || link.target)
        return;
      event.preventDefault();
      this.navigate(url.pathname + url.search);
    });
  }

  navigate(path: string, options: { replace?: boolean } = {}): void {
    if (options.replace) window.history.replaceState(null, '', path);
    else window.history.pushState(null, '', path);
    void this.show();
  }

  /** Shows the sign-in page in place of whatever was open (the session ended). */
  signedOut(): void {
    if (window.location.pathname !== '/console/sign-in')
      this.navigate(
        `/console/sign-in?next=${encodeURIComponent(window.location.pathname + window.location.search)}`,
        {
          replace: true,
        },
      );
  }

  async show(): Promise<void> {
    this.leave.abort();
    this.leave = new AbortController();
    const signal = this.leave.signal;
    const { pathname, search } = window.location;
    const signingIn = pathname === '/console/sign-in';
    const page = signingIn ? this.signIn : this.pages.find((candidate) => candidate.path.test(pathname));
    if (!page) return this.navigate('/console/connections', { replace: true });
    const params = pathname.match(page.path)!.slice(1).map(decodeURIComponent);
    document.title = `${page.title} · qbo-sync console`;
    this.layout(signingIn, pathname);
    const context: PageContext = {
      params,
      query: new URLSearchParams(search),
      signal,
      navigate: (path, options) => this.navigate(path, options),
      announce: (message) => {
        this.status.textContent = message;
      },
      every: (ms, task) => {
        const timer = window.setInterval(() => {
          task().catch((error: unknown) => context.announce(explain(error)));
        }, ms);
        signal.addEventListener('abort', () => window.clearInterval(timer));
      },
    };
    this.main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
    let content: Child;
    try {
      content = await page.render(context);
    } catch (error) {
      content = [h('h1', {}, page.title), h('p', { class: 'error', role: 'alert' }, explain(error))];
    }
    if (signal.aborted) return;
    this.main.replaceChildren(...nodes([content]));
    this.main.querySelector('h1')?.setAttribute('tabindex', '-1');
    this.main.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
  }

  private layout(signingIn: boolean, pathname: string): void {
    const links = nav.map(([href, label]) =>
      h('li', {}, h('a', { href, ...(pathname.startsWith(href) ? { 'aria-current': 'page' } : {}) }, label)),
    );
    const header = h(
      'header',
      { class: 'top' },
      h('p', { class: 'brand' }, h('a', { href: '/console/connections' }, 'qbo-sync console')),
      signingIn
        ? null
        : [
            h('nav', { 'aria-label': 'Main' }, h('ul', {}, links)),
            h(
              'button',
              {
                type: 'button',
                class: 'quiet',
                on: {
                  click: () => {
                    void signOut().then(() => this.navigate('/console/sign-in', { replace: true }));
                  },
                },
              },
              'Sign out',
            ),
          ],
    );
    document.body.replaceChildren(
      h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
      header,
      this.main,
      h('footer', {}, this.status),
    );
  }
}
