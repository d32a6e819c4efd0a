-- Counts each user's notification-setting changes (PUT /api/conversations/:id/notifications): the
-- version each answer and conversation:notifications event carries, so that tabs hearing them out of
-- order keep the latest.

-- AlterTable
ALTER TABLE `users` ADD COLUMN `notificationSettingsVersion` INTEGER NOT NULL DEFAULT 0;
