import { ErrorCode } from '@parley/shared';
import { ClientErrorCode, isApiRequestError } from '@/api/http';
import type { MessageSchema } from './en';

type ErrorKey = `errors.${keyof MessageSchema['errors']}`;

/** Every stable code has words; a code added to the contract fails the type check here until it does. */
const errorKeys: Record<ErrorCode | ClientErrorCode, ErrorKey> = {
  [ErrorCode.Invalid]: 'errors.invalid',
  [ErrorCode.RouteNotFound]: 'errors.routeNotFound',
  [ErrorCode.RateLimited]: 'errors.rateLimited',
  [ErrorCode.PayloadTooLarge]: 'errors.payloadTooLarge',
  [ErrorCode.RequestTimeout]: 'errors.requestTimeout',
  [ErrorCode.UnsupportedMediaType]: 'errors.unsupportedMediaType',
  [ErrorCode.UsernameTaken]: 'errors.usernameTaken',
  [ErrorCode.RegistrationClosed]: 'errors.registrationClosed',
  [ErrorCode.InviteRequired]: 'errors.inviteRequired',
  [ErrorCode.InvalidCredentials]: 'errors.invalidCredentials',
  [ErrorCode.WrongPassword]: 'errors.wrongPassword',
  [ErrorCode.PersonOnly]: 'errors.personOnly',
  [ErrorCode.PasswordChanged]: 'errors.passwordChanged',
  [ErrorCode.Unauthenticated]: 'errors.unauthenticated',
  [ErrorCode.AccountDeactivated]: 'errors.accountDeactivated',
  [ErrorCode.BotPasswordLogin]: 'errors.botPasswordLogin',
  [ErrorCode.InvalidToken]: 'errors.invalidToken',
  [ErrorCode.TokenRevoked]: 'errors.tokenRevoked',
  [ErrorCode.OriginNotAllowed]: 'errors.originNotAllowed',
  [ErrorCode.ConversationNotFound]: 'errors.conversationNotFound',
  [ErrorCode.NotMember]: 'errors.notMember',
  [ErrorCode.UnknownMembers]: 'errors.unknownMembers',
  [ErrorCode.Forbidden]: 'errors.forbidden',
  [ErrorCode.GroupRule]: 'errors.groupRule',
  [ErrorCode.Archived]: 'errors.archived',
  [ErrorCode.Muted]: 'errors.muted',
  [ErrorCode.AdminsOnly]: 'errors.adminsOnly',
  [ErrorCode.SlowMode]: 'errors.slowMode',
  [ErrorCode.Banned]: 'errors.banned',
  [ErrorCode.InviteNotFound]: 'errors.inviteNotFound',
  [ErrorCode.InviteExpired]: 'errors.inviteExpired',
  [ErrorCode.MessageNotFound]: 'errors.messageNotFound',
  [ErrorCode.NotAuthor]: 'errors.notAuthor',
  [ErrorCode.MessageDeleted]: 'errors.messageDeleted',
  [ErrorCode.CompanionUnavailable]: 'errors.companionUnavailable',
  [ErrorCode.CompanionModelDown]: 'errors.companionModelDown',
  [ErrorCode.CompanionModelSlow]: 'errors.companionModelSlow',
  [ErrorCode.CompanionModelError]: 'errors.companionModelError',
  [ErrorCode.CompanionModelGarbage]: 'errors.companionModelGarbage',
  [ErrorCode.CompanionRateLimited]: 'errors.companionRateLimited',
  [ErrorCode.CompanionNotFound]: 'errors.companionNotFound',
  [ErrorCode.NotRetryable]: 'errors.notRetryable',

  [ErrorCode.UploadNotFound]: 'errors.uploadNotFound',
  [ErrorCode.UploadForbidden]: 'errors.uploadForbidden',
  [ErrorCode.UploadAlreadyAttached]: 'errors.uploadAlreadyAttached',
  [ErrorCode.UploadUnsupportedType]: 'errors.uploadUnsupportedType',
  [ErrorCode.UploadEmpty]: 'errors.uploadEmpty',
  [ErrorCode.UploadTooManyPixels]: 'errors.uploadTooManyPixels',
  [ErrorCode.UploadUnreadable]: 'errors.uploadUnreadable',
  [ErrorCode.UploadTooLong]: 'errors.uploadTooLong',
  [ErrorCode.UploadVoiceUnavailable]: 'errors.uploadVoiceUnavailable',
  [ErrorCode.RangeNotSatisfiable]: 'errors.rangeNotSatisfiable',
  [ErrorCode.UserNotFound]: 'errors.userNotFound',
  [ErrorCode.AdminOnly]: 'errors.adminOnly',
  [ErrorCode.BotNotFound]: 'errors.botNotFound',
  [ErrorCode.LastAdmin]: 'errors.lastAdmin',
  [ErrorCode.Unavailable]: 'errors.unavailable',
  [ErrorCode.Busy]: 'errors.busy',
  [ErrorCode.Internal]: 'errors.internal',
  [ClientErrorCode.Network]: 'errors.network',
  [ClientErrorCode.Timeout]: 'errors.timeout',
  [ClientErrorCode.BadResponse]: 'errors.internal',
};

export function errorKeyForCode(code: string | null | undefined): ErrorKey {
  return (code && (errorKeys as Record<string, ErrorKey | undefined>)[code]) || 'errors.unknown';
}

export function errorKeyFor(error: unknown): ErrorKey {
  return isApiRequestError(error) ? errorKeyForCode(error.code) : 'errors.unknown';
}
