import { sessionResponseSchema, type CurrentUser, type LoginBody, type RegisterBody } from '@parley/shared';
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
