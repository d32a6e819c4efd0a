-- AlterTable
ALTER TABLE `users` ADD COLUMN `timeZone` VARCHAR(64) NULL;

-- AlterTable
ALTER TABLE `messages` ADD COLUMN `generationState` ENUM('streaming', 'failed') NULL,
    ADD COLUMN `generationError` VARCHAR(64) NULL;

-- CreateTable
CREATE TABLE `companions` (
    `userId` INTEGER NOT NULL,
    `persona` TEXT NOT NULL,
    `greeting` VARCHAR(2000) NOT NULL DEFAULT '',
    `model` VARCHAR(200) NULL,
    `temperature` DOUBLE NOT NULL DEFAULT 0.75,
    `maxReplyTokens` INTEGER NOT NULL DEFAULT 500,
    `checkInMinutes` INTEGER NOT NULL DEFAULT 1440,
    `checkInSkipWhileActive` BOOLEAN NOT NULL DEFAULT true,
    `quietHoursStart` SMALLINT NULL,
    `quietHoursEnd` SMALLINT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updatedAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    PRIMARY KEY (`userId`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `companion_check_in_opt_outs` (
    `companionId` INTEGER NOT NULL,
    `userId` INTEGER NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    PRIMARY KEY (`companionId`, `userId`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `companion_memories` (
    `companionId` INTEGER NOT NULL,
    `conversationId` INTEGER NOT NULL,
    `summary` TEXT NOT NULL,
    `summarizedThroughSeq` INTEGER NOT NULL,
    `updatedAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    PRIMARY KEY (`companionId`, `conversationId`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `companion_jobs` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `kind` ENUM('check_in', 'summary') NOT NULL,
    `companionId` INTEGER NOT NULL,
    `conversationId` INTEGER NOT NULL,
    `userId` INTEGER NOT NULL,
    `afterSeq` INTEGER NOT NULL,
    `dueAt` DATETIME(3) NOT NULL,
    `leaseUntil` DATETIME(3) NULL,
    `doneAt` DATETIME(3) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `companion_jobs_kind_companionId_conversationId_afterSeq_key`(`kind`, `companionId`, `conversationId`, `afterSeq`),
    INDEX `companion_jobs_doneAt_dueAt_idx`(`doneAt`, `dueAt`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `companions` ADD CONSTRAINT `companions_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `users`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
