import { createHash } from 'node:crypto';
import { markup, SafeHtml, type Interpolation } from '../../html/markup';

/**
 * The document around every embed page: one inline stylesheet, allowed by its hash, so the Content-Security-Policy
 * can forbid everything else (scripts, style attributes, fetches, forms) while any CRM may frame the page.
 */

// Contrast: every text colour below is at least 4.5:1 on its background (WCAG AA). Under 600 px (a CRM's sidebar) the
// transactions table stacks into one card per transaction, so nothing needs a horizontal scroll.
const stylesheet = `
*{box-sizing:border-box}
:root{color-scheme:light;--text:#1f2328;--muted:#57606a;--line:#d0d7de;--link:#0969da}
body{margin:0;padding:16px;overflow-wrap:break-word;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--text);background:#fff}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.panel-head{display:flex;align-items:center;gap:12px;margin-bottom:16px}
.head-text{min-width:0}
.qb-icon{display:block;width:36px;height:36px;flex:none}
.qb-link{display:inline-flex;border-radius:50%}
h1{font-size:18px;line-height:1.3;margin:0;overflow-wrap:anywhere}
h2{font-size:15px;margin:0 0 10px}
h3{font-size:13px;margin:14px 0 8px;color:var(--muted)}
.subtitle{margin:0;color:var(--muted)}
.synced{margin:2px 0 0;color:var(--muted);font-size:12px}
section{border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin-bottom:16px}
.notice{border:1px solid #ffcecb;background:#fff5f5;border-radius:8px;padding:10px 14px;margin-bottom:16px}
.notice p{margin:0 0 6px}
.problems{margin:0 0 6px;padding-left:20px}
.field{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px 16px;margin:0}
.figures .wide{grid-column:1/-1}
dt{color:var(--muted);font-size:12px}
dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.note{display:block;color:var(--muted);font-size:12px;font-weight:400}
.alert{color:#a40e26}
.tags{display:flex;flex-wrap:wrap;gap:4px}
.tag{padding:0 6px;border:1px solid var(--line);border-radius:4px;font:600 12px/1.6 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.filters{display:flex;flex-wrap:wrap;gap:6px 16px;margin-bottom:10px}
.filter-group{display:flex;flex-wrap:wrap;align-items:center;gap:6px}
.filter-label{font-size:12px;color:var(--muted)}
.filter-group ul{display:flex;flex-wrap:wrap;gap:4px;margin:0;padding:0;list-style:none}
.chip{display:inline-block;padding:1px 8px;border:1px solid var(--line);border-radius:999px;font-size:12px;color:var(--text);text-decoration:none;white-space:nowrap}
.chip .count{color:var(--muted)}
.chip.current,.chip.current .count{background:var(--text);border-color:var(--text);color:#fff}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top;white-space:nowrap}
thead th{font-size:12px;color:var(--muted)}
.num{text-align:right}
.home{display:block;color:var(--muted);font-size:12px}
.rel{display:block;max-width:260px;font-size:12px;font-weight:400;color:var(--muted);white-space:normal}
.rel-line{display:block}
.txns tr:target{background:#fff8c5}
.voided td,.voided th{color:var(--muted)}
.badge{display:inline-block;padding:0 8px;border:1px solid;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap}
.tone-danger{background:#ffebe9;color:#a40e26;border-color:#ffcecb}
.tone-warning{background:#fff8c5;color:#7d4e00;border-color:#eed888}
.tone-info{background:#ddf4ff;color:#0550ae;border-color:#b6e3ff}
.tone-success{background:#dafbe1;color:#116329;border-color:#aceebb}
.tone-muted{background:#eaeef2;color:#424a53;border-color:#d0d7de}
a{color:var(--link)}
a:focus-visible,.table-wrap:focus-visible{outline:2px solid var(--link);outline-offset:2px}
.open-link{display:inline-flex;padding:2px;border-radius:4px}
.open-link svg{width:16px;height:16px}
.pay-link{margin-right:6px;font-size:12px;font-weight:600}
.pager{display:flex;align-items:center;justify-content:space-between;gap:8px;margin-top:10px;font-size:13px}
.step[aria-disabled]{color:var(--muted)}
.empty{margin:0;color:var(--muted)}
footer{color:var(--muted);font-size:12px}
footer p{margin:0}
@media (max-width:599.98px){
body{padding:12px}
section{padding:10px 12px}
.txns thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0,0,0,0)}
.txns,.txns tbody{display:block}
.txns tr{display:grid;grid-template-columns:minmax(0,1fr) auto;gap:2px 12px;padding:10px 0;border-bottom:1px solid var(--line)}
.txns tbody tr:last-child{border-bottom:0}
.txns th,.txns td{display:block;padding:0;border:0;white-space:normal;text-align:left}
.txns .c-title{grid-column:1;grid-row:1}
.txns .c-status{grid-column:2;grid-row:1;text-align:right}
.txns .c-link{grid-column:2;grid-row:2;text-align:right}
.txns .c-date,.txns .c-due,.txns .c-amount,.txns .c-balance{grid-column:1}
.txns .is-empty{display:none}
.txns td[data-label]::before{content:attr(data-label) " ";color:var(--muted);font-size:12px}
.txns .home,.txns .c-amount .note,.txns .c-balance .note{display:inline;margin-left:6px}
.rel{max-width:none}
}
`;

const styleHash = createHash('sha256').update(stylesheet).digest('base64');

export const contentSecurityPolicy = [
  "default-src 'none'",
  `style-src 'sha256-${styleHash}'`,
  "base-uri 'none'",
  "form-action 'none'",
  // The page exists to be framed by whichever CRM embeds it; the token, not the framing origin, authorises it.
  'frame-ancestors *',
].join('; ');

/** The headers every embed answer carries, panels and error pages alike. */
export const embedHeaders: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': contentSecurityPolicy,
  // Each answer is for one token holder at one moment: never reuse it.
  'Cache-Control': 'no-store',
  // The token is in the URL; links out to QuickBooks must not carry it along.
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Robots-Tag': 'noindex',
};

/** QuickBooks' mark, simplified: a green disc with a white "qb". Decorative: links around it carry the label. */
export const quickBooksIcon = markup`<svg class="qb-icon" viewBox="0 0 32 32" aria-hidden="true" focusable="false"><circle cx="16" cy="16" r="16" fill="#2ca01c"/><g fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"><path d="M14.4 25V10H11a5.5 5.5 0 0 0 0 11h1.6"/><path d="M17.6 7v15H21a5.5 5.5 0 0 0 0-11h-1.6"/></g></svg>`;

export const externalLinkIcon = markup`<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"><path d="M9 2.75h4.25V7"/><path d="M13.25 2.75 7.5 8.5"/><path d="M12 9.5v3.25a.5.5 0 0 1-.5.5h-8.25a.5.5 0 0 1-.5-.5V4.5a.5.5 0 0 1 .5-.5H6.5"/></svg>`;

export function renderPage({
  title,
  body,
  footer,
}: {
  title: string;
  body: Interpolation;
  footer?: Interpolation;
}): string {
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${new SafeHtml(stylesheet)}</style>
</head>
<body>
<main aria-labelledby="page-title">
${body}
</main>
${footer === undefined ? null : markup`<footer>${footer}</footer>`}
</body>
</html>
`.value;
}
