import { z } from 'zod';
import { accountModel, type AccountRecord } from '../../accounts/models';
import { registeredOrigin, ReturnUrlRefused } from '../../security/return-url';
import { invalidFields, notFound } from '../http/problem';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';

const accountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    allowedReturnOrigins: z
      .array(z.string())
      .describe(
        'Origins the connect flow may send a person back to (`returnUrl`); the API’s own origin is always allowed.',
      ),
  })
  .meta({ id: 'Account' });

function accountJson(account: AccountRecord): z.infer<typeof accountSchema> {
  return {
    id: account._id,
    name: account.name,
    allowedReturnOrigins: account.settings?.allowedReturnOrigins ?? [],
  };
}

/** The account's own settings. */
export function addAccountRoutes(routes: ApiRoutes, services: ApiServices): void {
  const found = async (accountId: string): Promise<AccountRecord> => {
    const account = await accountModel(await services.db())
      .findById(accountId)
      .lean();
    if (!account) throw notFound('account', accountId);
    return account;
  };

  routes.add({
    method: 'get',
    path: '/v1/account',
    tag: 'Account',
    summary: 'The account and its settings',
    responses: { 200: { description: 'The account.', schema: accountSchema } },
    handler: async ({ auth }) => ({ status: 200, body: accountJson(await found(auth.accountId)) }),
  });

  routes.add({
    method: 'patch',
    path: '/v1/account',
    tag: 'Account',
    summary: 'Change the account’s settings',
    body: z
      .object({
        allowedReturnOrigins: z
          .array(z.string().max(200))
          .max(20)
          .optional()
          .describe(
            'Replaces the list. Each is an origin such as `https://crm.example.com`: https, or http on a loopback ' +
              'host when the API runs in development.',
          ),
      })
      .strict(),
    responses: { 200: { description: 'The account with its new settings.', schema: accountSchema } },
    handler: async ({ auth, body }) => {
      await found(auth.accountId);
      if (body.allowedReturnOrigins) {
        const origins: string[] = [];
        const errors: { field: string; message: string }[] = [];
        for (const [index, raw] of body.allowedReturnOrigins.entries()) {
          try {
            origins.push(registeredOrigin(raw, { allowLoopbackHttp: services.allowLoopbackHttpReturns }));
          } catch (error) {
            if (!(error instanceof ReturnUrlRefused)) throw error;
            errors.push({ field: `body.allowedReturnOrigins.${index}`, message: error.message });
          }
        }
        if (errors.length > 0) throw invalidFields(errors);
        await accountModel(await services.db()).updateOne(
          { _id: auth.accountId },
          { $set: { 'settings.allowedReturnOrigins': [...new Set(origins)] } },
        );
      }
      return { status: 200, body: accountJson(await found(auth.accountId)) };
    },
  });
}
