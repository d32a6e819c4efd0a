import { describe, expect, it } from 'vitest';
import { reactionEmojiSchema } from '../src/index.js';

describe('reaction emoji', () => {
  it.each(['👍', '❤️', '👍🏽', '👩‍💻', '🇫🇷', '1️⃣', '🏳️‍🌈'])('accepts %s as one emoji', (emoji) => {
    expect(reactionEmojiSchema.safeParse(emoji).success).toBe(true);
  });

  it.each(['', 'lol', '1', '12345👍', '👍👍', '👍 ', ' ', '#', '🇫', 'a👍'])('refuses %j', (value) => {
    expect(reactionEmojiSchema.safeParse(value).success).toBe(false);
  });
});
