import type { Message } from '@parley/shared';
import { isNewerCopy } from './timeline.js';

/**
 * One request for search results on its way (a first page, the next page, or the listed range asked
 * again): it keeps the copies of messages heard meanwhile, to lay over its answer.
 */
export interface SearchRequest {
  /**
   * Its answer, with what was heard since the request started laid over it: `replace` lists the page
   * (and the pages after it the caller fetched in the same go) instead of what was listed, `append`
   * adds it after the listed results. Ignored once another request has started.
   */
  answered(page: readonly Message[], placement: 'replace' | 'append'): void;
  /** No answer is coming (aborted or failed): stops keeping copies for it. */
  abandon(): void;
}

/**
 * The results of one message search, kept true while the messages change (edited, deleted, reacted
 * to), for any caller that shows them. Every copy of a message the caller hears (live, acknowledged,
 * caught up) goes to `hear`; each request for results goes through `request`.
 *
 * - A newer copy (higher changeSeq) of a listed message takes its place; a deleted one leaves, as
 *   search never finds a deleted message.
 * - A copy heard while a request is on its way is laid over that request's answer when it lands: the
 *   server may have read the message before the change.
 * - A listed message whose text changed since the server matched it (an edit, a companion's reply
 *   growing; a file's name, searched too, never changes) makes the results `stale`: only
 *   the server's matcher can say whether it still matches (its index cuts Chinese into bigrams and
 *   matches Latin words by their start; a substring test here would disagree), so the caller asks
 *   for the listed range again, once the index has taken the change in.
 */
export class SearchResults {
  private listed: readonly Message[] = [];
  /** Copies heard since the request on its way started, newest of each; null with none on its way. */
  private heard: Map<number, Message> | null = null;
  private textChanged = false;

  /** The results, newest first. A new array after every change, never mutated. */
  get messages(): readonly Message[] {
    return this.listed;
  }

  /** A listed result's text changed since the server matched it: ask for the listed range again. */
  get stale(): boolean {
    return this.textChanged;
  }

  /** A request starts; one at a time (a new one supersedes the one before, which the caller aborts). */
  request(): SearchRequest {
    const heard = new Map<number, Message>();
    this.heard = heard;
    const current = () => this.heard === heard;
    return {
      answered: (page, placement) => {
        if (!current()) return;
        this.heard = null;
        const listedIds = new Set(placement === 'append' ? this.listed.map((message) => message.id) : []);
        const answer: Message[] = [];
        let textChanged = false;
        for (const message of page) {
          if (listedIds.has(message.id)) continue;
          const newer = heard.get(message.id);
          if (!newer || !isNewerCopy(newer, message)) answer.push(message);
          else if (newer.deletedAt === null) {
            answer.push(newer);
            textChanged ||= newer.text !== message.text;
          }
        }
        if (placement === 'replace') {
          this.listed = answer;
          this.textChanged = textChanged;
        } else {
          this.listed = [...this.listed, ...answer];
          this.textChanged ||= textChanged;
        }
      },
      abandon: () => {
        if (current()) this.heard = null;
      },
    };
  }

  /** A copy of a message, of any conversation, as the caller took it in. */
  hear(message: Message): void {
    if (this.heard) {
      const held = this.heard.get(message.id);
      if (!held || isNewerCopy(message, held)) this.heard.set(message.id, message);
    }
    const index = this.listed.findIndex((listed) => listed.id === message.id);
    const listed = this.listed[index];
    if (!listed || !isNewerCopy(message, listed)) return;
    if (message.deletedAt !== null) {
      this.listed = this.listed.toSpliced(index, 1);
      return;
    }
    this.listed = this.listed.with(index, message);
    this.textChanged ||= message.text !== listed.text;
  }

  /** No results (an empty query); a request on its way is dropped. */
  clear(): void {
    this.listed = [];
    this.heard = null;
    this.textChanged = false;
  }
}
