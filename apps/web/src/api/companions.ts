import {
  checkInPreferenceSchema,
  companionListSchema,
  companionSchema,
  conversationCompanionSchema,
  messageSchema,
  type Companion,
  type CompanionSettingsInput,
  type ConversationCompanion,
  type Message,
} from '@parley/shared';
import { request } from './http';

/** The companion of a direct conversation, if any; the first call posts its greeting. */
export function fetchConversationCompanion(conversationId: number): Promise<ConversationCompanion> {
  return request('GET', `/api/conversations/${conversationId}/companion`, conversationCompanionSchema);
}

export async function setCheckIns(companionId: number, enabled: boolean): Promise<boolean> {
  return (
    await request('PUT', `/api/companions/${companionId}/check-ins`, checkInPreferenceSchema, {
      body: { enabled },
    })
  ).enabled;
}

/** Writes a companion's failed reply again, in place; the result streams in as message:updated. */
export function retryReply(conversationId: number, messageId: number): Promise<Message> {
  return request('POST', `/api/conversations/${conversationId}/messages/${messageId}/retry`, messageSchema);
}

/** Tells the server the browser's time zone, for companions' quiet hours. */
export function saveTimeZone(timeZone: string): Promise<void> {
  return request('PUT', '/api/me/time-zone', null, { body: { timeZone } });
}

export async function fetchCompanions(): Promise<Companion[]> {
  return (await request('GET', '/api/admin/companions', companionListSchema)).companions;
}

export function saveCompanion(userId: number, settings: CompanionSettingsInput): Promise<Companion> {
  return request('PUT', `/api/admin/companions/${userId}`, companionSchema, { body: settings });
}
