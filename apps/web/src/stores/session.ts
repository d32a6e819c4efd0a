import {
  ErrorCode,
  type CurrentUser,
  type LoginBody,
  type PasswordChangeBody,
  type ProfileBody,
  type RegisterBody,
  type UserSummary,
} from '@parley/shared';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import * as authApi from '@/api/auth';
import { isApiRequestError } from '@/api/http';

/** Why the last session ended: decides whether the login page offers to come back. */
export type SessionEndReason = 'logout' | 'expired' | 'password_changed';

export const useSessionStore = defineStore('session', () => {
  const user = ref<CurrentUser | null>(null);
  /** True once "who am I" has been answered (or a login happened), so guards can trust `user`. */
  const checked = ref(false);
  const endReason = ref<SessionEndReason | null>(null);
  /** Who was signed in when the server ended the session: the login form starts with it. */
  const endedUsername = ref('');
  let inFlight: Promise<CurrentUser | null> | null = null;
  // While logging out, the server's own "you are signed out" signals are expected, not an expiry.
  let loggingOut = false;

  const isAuthenticated = computed(() => user.value !== null);

  function start(next: CurrentUser): CurrentUser {
    user.value = next;
    checked.value = true;
    endReason.value = null;
    return next;
  }

  /** Asks the server who we are; a definite "nobody" signs out, a network failure keeps what we had. */
  function refresh(): Promise<CurrentUser | null> {
    inFlight ??= (async () => {
      try {
        return start(await authApi.fetchMe());
      } catch (error) {
        const signedOut =
          isApiRequestError(error) &&
          (error.code === ErrorCode.Unauthenticated || error.code === ErrorCode.AccountDeactivated);
        if (signedOut || !checked.value) {
          if (user.value && !loggingOut) endReason.value = 'expired';
          user.value = null;
        }
        checked.value = true;
        return user.value;
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  async function ensureLoaded(): Promise<CurrentUser | null> {
    return checked.value ? user.value : refresh();
  }

  async function login(body: LoginBody): Promise<CurrentUser> {
    return start(await authApi.login(body));
  }

  async function register(body: RegisterBody): Promise<CurrentUser> {
    return start(await authApi.register(body));
  }

  async function logout(): Promise<void> {
    loggingOut = true;
    try {
      await authApi.logout();
    } catch (error) {
      // An expired session is already logged out; any other failure must not trap the user in.
      if (!isApiRequestError(error)) throw error;
    } finally {
      endReason.value = 'logout';
      user.value = null;
      loggingOut = false;
    }
  }

  /**
   * The server told us (e.g. the socket handshake) that this session is no longer valid, and maybe
   * why. The username is kept for the login form.
   */
  function expire(reason: Exclude<SessionEndReason, 'logout'> = 'expired'): void {
    if (!user.value || loggingOut) return;
    endReason.value = reason;
    endedUsername.value = user.value.username;
    user.value = null;
  }

  async function updateProfile(body: ProfileBody): Promise<void> {
    const updated = await authApi.updateProfile(body);
    if (user.value?.id === updated.id) user.value = updated;
  }

  function changePassword(body: PasswordChangeBody): Promise<void> {
    return authApi.changePassword(body);
  }

  /** `user:updated` about us (renamed in another tab): the account menu shows the new name. */
  function applySummary(summary: UserSummary): void {
    if (user.value?.id === summary.id) user.value = { ...user.value, displayName: summary.displayName };
  }

  return {
    user,
    checked,
    endReason,
    endedUsername,
    isAuthenticated,
    refresh,
    ensureLoaded,
    login,
    register,
    logout,
    expire,
    updateProfile,
    changePassword,
    applySummary,
  };
});
