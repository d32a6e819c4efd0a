import { Copy, Pencil, Reply, Trash2, type LucideIcon } from 'lucide-vue-next';

export type MessageActionId = 'reply' | 'copy' | 'edit' | 'delete';

/**
 * One thing a person can do to a stored message. The hover toolbar, its "More" dropdown and the
 * context menu are all rendered from MESSAGE_ACTIONS, so they offer the same actions, in the same
 * order, with the same words. Reactions are offered separately (quick reactions and the picker).
 */
export interface MessageAction {
  id: MessageActionId;
  /** i18n key of its label, which is also the accessible name of its toolbar button. */
  labelKey: string;
  icon: LucideIcon;
  /** Offered on our own messages only. */
  ownOnly: boolean;
  /**
   * Works only while connected: edits and deletions are not queued like sends, so offline the
   * toolbar marks the button aria-disabled with a tooltip, and pressing it explains.
   */
  needsConnection: boolean;
  /** Also a button of the toolbar itself, not only in the menus. */
  inToolbar: boolean;
  /** Destructive: red, and set apart by a separator in the menus. */
  danger: boolean;
}

export const MESSAGE_ACTIONS: readonly MessageAction[] = [
  {
    id: 'reply',
    labelKey: 'message.reply',
    icon: Reply,
    ownOnly: false,
    needsConnection: false,
    inToolbar: true,
    danger: false,
  },
  {
    id: 'copy',
    labelKey: 'message.copyText',
    icon: Copy,
    ownOnly: false,
    needsConnection: false,
    inToolbar: false,
    danger: false,
  },
  {
    id: 'edit',
    labelKey: 'message.edit',
    icon: Pencil,
    ownOnly: true,
    needsConnection: true,
    inToolbar: true,
    danger: false,
  },
  {
    id: 'delete',
    labelKey: 'message.delete',
    icon: Trash2,
    ownOnly: true,
    needsConnection: true,
    inToolbar: true,
    danger: true,
  },
];

/** The actions offered on a message, ours (`own`) or someone else's, in menu order. */
export function actionsFor(own: boolean): MessageAction[] {
  return MESSAGE_ACTIONS.filter((action) => own || !action.ownOnly);
}
