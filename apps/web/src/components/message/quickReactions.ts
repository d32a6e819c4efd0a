/** The reactions offered in one click, in the toolbar and the context menu. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'] as const;
