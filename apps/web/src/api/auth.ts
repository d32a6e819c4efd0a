import {
  sessionResponseSchema,
  type CurrentUser,
  type LoginBody,
  type PasswordChangeBody,
  type ProfileBody,
  type RegisterBody,
} from '@parley/shared';
import { request } from './http';

export async function fetchMe(): Promise<CurrentUser> {
  return (await request('GET', '/api/auth/me', sessionResponseSchema)).user;
}

export async function login(body: LoginBody): Promise<CurrentUser> {
  return (await request('POST', '/api/auth/login', sessionResponseSchema, { body })).user;
}

export async function register(body: RegisterBody): Promise<CurrentUser> {
  return (await request('POST', '/api/auth/register', sessionResponseSchema, { body })).user;
}

export function logout(): Promise<void> {
  return request('POST', '/api/auth/logout', null);
}

/** PATCH /api/me: the signed-in person's display name. */
export async function updateProfile(body: ProfileBody): Promise<CurrentUser> {
  return (await request('PATCH', '/api/me', sessionResponseSchema, { body })).user;
}

/**
 * PUT /api/me/password: ends every other session of the account; this one goes on under a new
 * cookie, and its sockets reconnect with it.
 */
export function changePassword(body: PasswordChangeBody): Promise<void> {
  return request('PUT', '/api/me/password', null, { body });
}
