import { createRouter, createWebHistory, type RouteLocationRaw } from 'vue-router';
import ChatHomePage from '@/pages/ChatHomePage.vue';
import ChatLayout from '@/pages/ChatLayout.vue';
import ConversationPage from '@/pages/ConversationPage.vue';
import InviteJoinPage from '@/pages/InviteJoinPage.vue';
import LoginPage from '@/pages/LoginPage.vue';
import RegisterPage from '@/pages/RegisterPage.vue';
import { safeRedirect } from '@/lib/redirect';
import { useSessionStore } from '@/stores/session';

declare module 'vue-router' {
  interface RouteMeta {
    requiresAuth?: boolean;
    guestOnly?: boolean;
    /** Site admins only; the server refuses everyone else on its own (admin/forbidden). */
    requiresAdmin?: boolean;
  }
}

export function createAppRouter() {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/login', name: 'login', component: LoginPage, meta: { guestOnly: true } },
      { path: '/register', name: 'register', component: RegisterPage, meta: { guestOnly: true } },
      {
        path: '/',
        component: ChatLayout,
        meta: { requiresAuth: true },
        children: [
          { path: '', name: 'home', component: ChatHomePage },
          {
            path: 'c/:id(\\d+)',
            name: 'conversation',
            component: ConversationPage,
            props: (route) => ({ id: Number(route.params.id) }),
          },
          {
            path: 'invite/:token([A-Za-z0-9_-]{43})',
            name: 'invite',
            component: InviteJoinPage,
            props: (route) => ({ token: String(route.params.token) }),
          },
        ],
      },
      {
        path: '/admin',
        name: 'admin',
        // Its own chunk, with the chart library: the chat never loads it.
        component: () => import('@/pages/admin/AdminConsolePage.vue'),
        meta: { requiresAuth: true, requiresAdmin: true },
      },
      { path: '/:pathMatch(.*)*', redirect: '/' },
    ],
  });

  router.beforeEach(async (to): Promise<RouteLocationRaw | true> => {
    const session = useSessionStore();
    const user = await session.ensureLoaded();
    if (to.meta.requiresAuth && !user) {
      return to.fullPath === '/' ? { name: 'login' } : { name: 'login', query: { redirect: to.fullPath } };
    }
    if (to.meta.requiresAdmin && user?.role !== 'admin') return { name: 'home' };
    if (to.meta.guestOnly && user) {
      return safeRedirect(to.query.redirect) ?? { name: 'home' };
    }
    return true;
  });

  return router;
}
