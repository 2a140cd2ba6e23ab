import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Search attributes that let ops find a connection's workflows in the Temporal UI. They must be registered on
 * the namespace before a workflow sets them: the stack launcher and the test harness pass them to the dev server,
 * docker-compose does the same, and README.md has the commands that register them on any other cluster.
 */
export const searchAttributes = {
  connectionId: defineSearchAttributeKey('QboConnectionId', 'KEYWORD'),
  realmId: defineSearchAttributeKey('QboRealmId', 'KEYWORD'),
  accountId: defineSearchAttributeKey('CrmAccountId', 'KEYWORD'),
  connectionStatus: defineSearchAttributeKey('QboConnectionStatus', 'KEYWORD'),
} as const;

export const searchAttributeKeys = Object.values(searchAttributes);
