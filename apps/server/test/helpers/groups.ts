import type { GroupState } from '@parley/shared';
import { createGroup, type TestServer, type TestUser } from './server.js';

/** A group with an owner, an admin and members, built over HTTP as a person would. */
export async function groupWithRoles(
  t: TestServer,
  people: { owner: TestUser; admins?: TestUser[]; members?: TestUser[] },
  name = 'Group',
): Promise<number> {
  const admins = people.admins ?? [];
  const conversation = await createGroup(t, people.owner, [...admins, ...(people.members ?? [])], name);
  for (const admin of admins) {
    await groupCall(
      t,
      people.owner,
      'PUT',
      `/api/conversations/${conversation.id}/members/${admin.id}/role`,
      {
        role: 'admin',
      },
    );
  }
  return conversation.id;
}

/** An administrative HTTP call that must succeed; returns the group's state when the route answers one. */
export async function groupCall(
  t: TestServer,
  actor: TestUser,
  method: string,
  path: string,
  body?: unknown,
): Promise<GroupState | null> {
  const response = await t.http<{ group?: GroupState }>(method, path, { cookie: actor.cookie, body });
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body?.group ?? null;
}

/** The error code of an HTTP answer, or 'ok' for a 2xx. */
export function httpCode(response: { status: number; body: unknown }): string {
  if (response.status < 300) return 'ok';
  return (response.body as { error: { code: string } }).error.code;
}
