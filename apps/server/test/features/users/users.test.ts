import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, type TestUser } from '../../helpers/server.js';

describe('user search', () => {
  let t: TestServer;
  let me: TestUser;
  beforeAll(async () => {
    t = await startTestServer();
    me = await t.signUp('searcher');
    await t.signUp('ab_cd', 'Underscore name');
    await t.signUp('abxcd', 'Letter name');
    await t.signUp('pct', '%off deals');
    await t.signUp('hundred', '100% real');
    await t.signUp('hundredish', '1000 real');
    await t.signUp('slash', 'back\\slash');
    await t.signUp('noslash', 'backslash');
    await t.signUp('under', '_under');
  });
  afterAll(async () => t.close());

  async function search(q: string): Promise<string[]> {
    const response = await t.http<{ users: { username: string }[] }>(
      'GET',
      `/api/users?q=${encodeURIComponent(q)}`,
      { cookie: me.cookie },
    );
    expect(response.status).toBe(200);
    return response.body.users.map((user) => user.username);
  }

  it('matches % literally instead of as a wildcard', async () => {
    expect(await search('%')).toEqual(['pct']);
    expect(await search('100%')).toEqual(['hundred']);
  });

  it('matches _ literally instead of as any one character', async () => {
    expect(await search('ab_')).toEqual(['ab_cd']);
    expect(await search('_')).toEqual(['under']);
  });

  it('matches a backslash literally', async () => {
    expect(await search('back\\')).toEqual(['slash']);
    expect(await search('back')).toEqual(['noslash', 'slash']);
  });

  it('still matches plain prefixes of usernames and display names', async () => {
    expect(await search('AB')).toEqual(['ab_cd', 'abxcd']);
    expect(await search('100')).toEqual(['hundred', 'hundredish']);
  });
});
