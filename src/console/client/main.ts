import './styles.css';
import { resumeSession, whenSignedOut } from './api';
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

void (async () => {
  const session = await resumeSession();
  if (session || window.location.pathname === '/console/sign-in') await app.show();
  else app.signedOut();
})();
