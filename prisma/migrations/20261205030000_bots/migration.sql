-- AlterTable
ALTER TABLE `users` ADD COLUMN `kind` ENUM('person', 'bot') NOT NULL DEFAULT 'person';

-- CreateTable
CREATE TABLE `bots` (
    `userId` INTEGER NOT NULL,
    `ownerId` INTEGER NOT NULL,
    `description` VARCHAR(500) NOT NULL DEFAULT '',
    `avatarUrl` VARCHAR(500) NULL,
    `createdById` INTEGER NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updatedAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `bots_ownerId_idx`(`ownerId`),
    PRIMARY KEY (`userId`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `bot_tokens` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `botId` INTEGER NOT NULL,
    `prefix` VARCHAR(16) NOT NULL,
    `tokenHash` CHAR(64) NOT NULL,
    `label` VARCHAR(64) NOT NULL DEFAULT '',
    `createdById` INTEGER NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `lastUsedAt` DATETIME(3) NULL,
    `revokedAt` DATETIME(3) NULL,

    UNIQUE INDEX `bot_tokens_tokenHash_key`(`tokenHash`),
    INDEX `bot_tokens_botId_idx`(`botId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `bot_webhooks` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `botId` INTEGER NOT NULL,
    `url` VARCHAR(500) NOT NULL,
    `events` VARCHAR(100) NOT NULL,
    `secret` VARCHAR(64) NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `disabledAt` DATETIME(3) NULL,

    INDEX `bot_webhooks_botId_idx`(`botId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `bot_webhook_deliveries` (
    `id` CHAR(36) NOT NULL,
    `webhookId` INTEGER NOT NULL,
    `event` VARCHAR(16) NOT NULL,
    `messageId` INTEGER NOT NULL,
    `payload` TEXT NOT NULL,
    `status` ENUM('pending', 'delivered', 'failed') NOT NULL DEFAULT 'pending',
    `attempts` INTEGER NOT NULL DEFAULT 0,
    `nextAttemptAt` DATETIME(3) NULL,
    `lockedUntil` DATETIME(3) NULL,
    `lastStatusCode` INTEGER NULL,
    `lastError` VARCHAR(500) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `finishedAt` DATETIME(3) NULL,

    UNIQUE INDEX `bot_webhook_deliveries_webhookId_messageId_event_key`(`webhookId`, `messageId`, `event`),
    INDEX `bot_webhook_deliveries_status_nextAttemptAt_idx`(`status`, `nextAttemptAt`),
    INDEX `bot_webhook_deliveries_webhookId_createdAt_idx`(`webhookId`, `createdAt`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `bot_daily_counts` (
    `botId` INTEGER NOT NULL,
    `day` DATE NOT NULL,
    `metric` VARCHAR(32) NOT NULL,
    `count` INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY (`botId`, `day`, `metric`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `bots` ADD CONSTRAINT `bots_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `users`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `bots` ADD CONSTRAINT `bots_ownerId_fkey` FOREIGN KEY (`ownerId`) REFERENCES `users`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `bot_tokens` ADD CONSTRAINT `bot_tokens_botId_fkey` FOREIGN KEY (`botId`) REFERENCES `bots`(`userId`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `bot_webhooks` ADD CONSTRAINT `bot_webhooks_botId_fkey` FOREIGN KEY (`botId`) REFERENCES `bots`(`userId`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `bot_webhook_deliveries` ADD CONSTRAINT `bot_webhook_deliveries_webhookId_fkey` FOREIGN KEY (`webhookId`) REFERENCES `bot_webhooks`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
