import { ref } from 'vue';

/** What the current page is about (e.g. a conversation's name); the unread count is added around it. */
export const pageTitle = ref<string | null>(null);
