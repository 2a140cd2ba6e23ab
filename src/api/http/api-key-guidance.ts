import { isApiKeyShaped } from '../../accounts/keys';

/**
 * Why an `Authorization` header did not authenticate, said as the one thing to change: the usual slips (a key
 * without `Bearer `, another scheme, a truncated key) each get their own fix.
 */
export const missingKeyDetail = 'send your API key as `Authorization: Bearer qbs_…`';

export function invalidKeyDetail(header: string): string {
  const [scheme = '', ...rest] = header.trim().split(/\s+/);
  const credentials = rest.join(' ');
  if (credentials === '')
    return scheme.startsWith('qbs_')
      ? 'put `Bearer ` before the key: `Authorization: Bearer qbs_…`'
      : missingKeyDetail;
  if (scheme.toLowerCase() !== 'bearer')
    return `use the Bearer scheme, not ${scheme.slice(0, 20)}: \`Authorization: Bearer qbs_…\``;
  if (!isApiKeyShaped(credentials))
    return 'this is not a whole API key: keys look like `qbs_<16 characters>_<43 characters>`; copy all of it';
  return 'the API key is unknown or was revoked: use a current key of the account (operators create one with `npm run ops -- keys create <accountId>`)';
}
