import './styles.css';
import { resumeSession, signIn, whenSignedOut } from './api';
import { ConsoleApp } from './app';
import { connectionPage, connectionsPage } from './pages/connections';
import { contactPage, contactsPage } from './pages/contacts';
import { eventPage, eventsPage } from './pages/events';
import { followUpsPage } from './pages/follow-ups';
import { conflictsPage, failingPage } from './pages/repair';
import { signInPage } from './pages/sign-in';

const app = new ConsoleApp(
  [
    connectionsPage,
    connectionPage,
    contactsPage,
    contactPage,
    conflictsPage,
    failingPage,
    eventsPage,
    eventPage,
    followUpsPage,
  ],
  signInPage,
);
whenSignedOut(() => app.signedOut());

/**
 * A one-time link (`npm start` and `npm run ops -- console link` print them) carries its token in the fragment, which
 * never reaches a server or a Referer; it is taken out of the address before anything else runs.
 */
async function signInFromLink(): Promise<void> {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('signInToken');
  if (!token) return;
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}`);
  // A used or expired link leaves the person on the sign-in page, which says what to do.
  await signIn({ signInToken: token }).catch(() => undefined);
}

void (async () => {
  await signInFromLink();
  const session = await resumeSession();
  if (session || window.location.pathname === '/console/sign-in') await app.show();
  else app.signedOut();
})();
