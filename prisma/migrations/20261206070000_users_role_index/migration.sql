-- CreateIndex
CREATE INDEX `users_role_deactivatedAt_idx` ON `users`(`role`, `deactivatedAt`);
