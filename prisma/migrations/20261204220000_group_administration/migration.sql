-- AlterTable
ALTER TABLE `conversations` ADD COLUMN `description` VARCHAR(500) NULL,
    ADD COLUMN `announcement` TEXT NULL,
    ADD COLUMN `onlyAdminsPost` BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN `slowModeSeconds` INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE `memberships` ADD COLUMN `mutedUntil` DATETIME(3) NULL,
    ADD COLUMN `lastPostedAt` DATETIME(3) NULL;

-- AlterTable
ALTER TABLE `messages` MODIFY `type` ENUM('text', 'system') NOT NULL DEFAULT 'text',
    ADD COLUMN `removedByAdmin` BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN `systemData` TEXT NULL;

-- CreateTable
CREATE TABLE `group_bans` (
    `conversationId` INTEGER NOT NULL,
    `userId` INTEGER NOT NULL,
    `bannedById` INTEGER NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    PRIMARY KEY (`conversationId`, `userId`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `group_invites` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `conversationId` INTEGER NOT NULL,
    `token` CHAR(43) NOT NULL,
    `createdById` INTEGER NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `expiresAt` DATETIME(3) NULL,
    `maxUses` INTEGER NULL,
    `uses` INTEGER NOT NULL DEFAULT 0,
    `revokedAt` DATETIME(3) NULL,

    UNIQUE INDEX `group_invites_token_key`(`token`),
    INDEX `group_invites_conversationId_idx`(`conversationId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `audit_log` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `actorId` INTEGER NOT NULL,
    `action` VARCHAR(64) NOT NULL,
    `conversationId` INTEGER NULL,
    `targetUserId` INTEGER NULL,
    `before` TEXT NULL,
    `after` TEXT NULL,

    INDEX `audit_log_createdAt_idx`(`createdAt`),
    INDEX `audit_log_actorId_createdAt_idx`(`actorId`, `createdAt`),
    INDEX `audit_log_conversationId_createdAt_idx`(`conversationId`, `createdAt`),
    INDEX `audit_log_targetUserId_createdAt_idx`(`targetUserId`, `createdAt`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `group_bans` ADD CONSTRAINT `group_bans_conversationId_fkey` FOREIGN KEY (`conversationId`) REFERENCES `conversations`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `group_invites` ADD CONSTRAINT `group_invites_conversationId_fkey` FOREIGN KEY (`conversationId`) REFERENCES `conversations`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
