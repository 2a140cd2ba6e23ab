/** Plain, accessible HTML for the emulated Intuit consent screen (a company picker) and its error page. */
import { escapeHtml } from '../../html/markup';

export interface CompanyChoice {
  realmId: string;
  companyName: string;
}

export interface AuthorizePageInput {
  action: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  companies: CompanyChoice[];
}

const HEADING = 'Connect to QuickBooks (emulator)';

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
</head>
<body>
<main>
<h1>${HEADING}</h1>
${body}
</main>
</body>
</html>
`;
}

const hidden = (name: string, value: string): string =>
  `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;

export function renderAuthorizePage(input: AuthorizePageInput): string {
  const choices = input.companies
    .map((company, index) => {
      const id = `realm-${index}`;
      const checked = index === 0 ? ' checked' : '';
      return `<div><input type="radio" id="${id}" name="realmId" value="${escapeHtml(company.realmId)}" required${checked}>
<label for="${id}">${escapeHtml(company.companyName)} (Realm ID ${escapeHtml(company.realmId)})</label></div>`;
    })
    .join('\n');
  const picker =
    input.companies.length > 0
      ? `<fieldset>
<legend>Choose the company to connect</legend>
${choices}
</fieldset>
<button type="submit" name="action" value="approve">Approve</button>`
      : '<p role="alert">No companies exist in this emulator; create one first, or deny.</p>';
  const fields = [
    hidden('client_id', input.clientId),
    hidden('redirect_uri', input.redirectUri),
    hidden('scope', input.scopes.join(' ')),
    ...(input.state === undefined ? [] : [hidden('state', input.state)]),
  ].join('\n');
  return layout(
    HEADING,
    `<p>The app <strong>${escapeHtml(input.clientId)}</strong> asks for access to: ${escapeHtml(input.scopes.join(', '))}.</p>
<form method="post" action="${escapeHtml(input.action)}">
${fields}
${picker}
<button type="submit" name="action" value="deny" formnovalidate>Deny</button>
</form>`,
  );
}

export function renderErrorPage(message: string): string {
  return layout(`Error: ${HEADING}`, `<p role="alert">${escapeHtml(message)}</p>`);
}
