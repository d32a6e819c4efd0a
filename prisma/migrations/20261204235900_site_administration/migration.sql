-- AlterTable
ALTER TABLE `conversations` ADD COLUMN `archivedAt` DATETIME(3) NULL;

-- CreateIndex
CREATE INDEX `messages_createdAt_senderId_conversationId_idx` ON `messages`(`createdAt`, `senderId`, `conversationId`);

-- CreateTable
CREATE TABLE `site_settings` (
    `id` INTEGER NOT NULL,
    `registrationMode` ENUM('open', 'invite_only', 'closed') NOT NULL DEFAULT 'open',
    `updatedAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

INSERT INTO `site_settings` (`id`) VALUES (1);

-- CreateTable
CREATE TABLE `site_invites` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `code` CHAR(32) NOT NULL,
    `createdById` INTEGER NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `expiresAt` DATETIME(3) NULL,
    `usedById` INTEGER NULL,
    `usedAt` DATETIME(3) NULL,
    `revokedAt` DATETIME(3) NULL,

    UNIQUE INDEX `site_invites_code_key`(`code`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
