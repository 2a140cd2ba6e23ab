export { WebhookDispatcher } from './dispatcher';
export { signPayload } from './signature';
export type {
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryStats,
  EntityChange,
  WebhookDispatcherOptions,
  WebhookFaults,
  WebhookOperation,
  WebhookSubscription,
} from './types';
