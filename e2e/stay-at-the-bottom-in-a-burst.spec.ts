import { conversationLink, createGroup, expect, messageLog, sendMessage, test } from './fixtures.js';
import { settledView } from './viewport.js';

const EACH = 8;

test('everyone at the bottom of a group stays there while all of them send at once', async ({ signUp }) => {
  const people = [await signUp('ada'), await signUp('grace'), await signUp('linus')];
  const [ada] = people;
  await createGroup(ada!.page, 'Burst', people.slice(1));
  for (const person of people.slice(1)) await conversationLink(person.page, 'Burst').click();
  for (const person of people) await expect(messageLog(person.page, 'Burst')).toBeVisible();

  // Everyone types and sends as fast as they can, at the same time.
  await Promise.all(
    people.map(async (person, who) => {
      for (let n = 1; n <= EACH; n++) await sendMessage(person.page, `burst ${who}.${n}`);
    }),
  );

  const total = people.length * EACH;
  for (const person of people) {
    const log = messageLog(person.page, 'Burst');
    // Retried until the newest message is on screen: it never is when the view stopped following.
    await expect(log.locator(`[data-testid=message][data-seq="${total}"]`)).toBeInViewport();
    const view = await settledView(log);
    expect(view.touching.at(-1), `${person.username} still sees the newest message`).toBe(total);
    // Nothing is left unread in the conversation on screen.
    await expect(conversationLink(person.page, 'Burst')).not.toHaveAccessibleName(/unread/);
  }
});
