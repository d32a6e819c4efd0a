import { shallowRef } from 'vue';

/** The one audio element playing a voice message, across every conversation and list. */
const playing = shallowRef<HTMLMediaElement | null>(null);

/**
 * Only one voice message plays at a time (issue 9, item 8): a player calls `claim(audio)` when it
 * starts, which pauses whichever other one was playing, and `release(audio)` when it pauses, ends or
 * unmounts. `playing` is the element playing now, or null.
 */
export function useVoicePlayback() {
  function claim(audio: HTMLMediaElement): void {
    const previous = playing.value;
    if (previous && previous !== audio) previous.pause();
    playing.value = audio;
  }

  function release(audio: HTMLMediaElement): void {
    if (playing.value === audio) playing.value = null;
  }

  return { playing, claim, release };
}
