import { explain, signIn } from '../api';
import type { Page } from '../app';
import { h } from '../dom';

/** The key is typed into a password field, sent once in a POST body, and forgotten: it is never stored. */
export const signInPage: Page = {
  path: /^\/console\/sign-in$/,
  title: 'Sign in',
  render({ query, navigate }) {
    const key = h('input', {
      id: 'api-key',
      name: 'apiKey',
      type: 'password',
      autocomplete: 'off',
      spellcheck: 'false',
      required: true,
      'aria-describedby': 'api-key-help',
    });
    const error = h('p', { class: 'error', role: 'alert' });
    const form = h(
      'form',
      {
        class: 'card narrow',
        on: {
          submit: (event) => {
            event.preventDefault();
            error.textContent = '';
            const apiKey = key.value.trim();
            key.value = '';
            signIn({ apiKey })
              .then(() => {
                const next = query.get('next');
                navigate(next?.startsWith('/console/') ? next : '/console/connections', { replace: true });
              })
              .catch((failure: unknown) => {
                error.textContent = explain(failure);
                key.focus();
              });
          },
        },
      },
      h('label', { for: 'api-key' }, 'API key'),
      key,
      h(
        'p',
        { id: 'api-key-help', class: 'help' },
        'A key of your CRM account (qbs_…), from ',
        h('code', {}, 'npm run ops -- keys create <accountId>'),
        ' or printed by npm start. It is exchanged for a session that ends after 30 idle minutes.',
      ),
      h('button', { type: 'submit' }, 'Sign in'),
      error,
    );
    return Promise.resolve([h('h1', {}, 'Sign in to the qbo-sync console'), form]);
  },
};
