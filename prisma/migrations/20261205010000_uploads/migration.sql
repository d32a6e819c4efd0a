-- CreateTable
CREATE TABLE `uploads` (
    `id` VARCHAR(22) NOT NULL,
    `uploaderId` INTEGER NOT NULL,
    `kind` ENUM('image', 'file', 'voice') NOT NULL,
    `mime` VARCHAR(100) NOT NULL,
    `fileName` VARCHAR(255) NOT NULL,
    `byteSize` INTEGER NOT NULL,
    `contentKey` VARCHAR(64) NOT NULL,
    `thumbnailKey` VARCHAR(64) NULL,
    `width` INTEGER NULL,
    `height` INTEGER NULL,
    `placeholder` TEXT NULL,
    `durationMs` INTEGER NULL,
    `waveform` TEXT NULL,
    `playableKey` VARCHAR(64) NULL,
    `playableMime` VARCHAR(100) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `attachedAt` DATETIME(3) NULL,

    INDEX `uploads_uploaderId_idx`(`uploaderId`),
    INDEX `uploads_attachedAt_createdAt_idx`(`attachedAt`, `createdAt`),
    INDEX `uploads_contentKey_idx`(`contentKey`),
    INDEX `uploads_thumbnailKey_idx`(`thumbnailKey`),
    INDEX `uploads_playableKey_idx`(`playableKey`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `upload_blobs` (
    `storageKey` VARCHAR(64) NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    PRIMARY KEY (`storageKey`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AlterTable
ALTER TABLE `messages` ADD COLUMN `attachmentId` VARCHAR(22) NULL;

-- CreateIndex
CREATE UNIQUE INDEX `messages_attachmentId_key` ON `messages`(`attachmentId`);

-- AddForeignKey
ALTER TABLE `uploads` ADD CONSTRAINT `uploads_uploaderId_fkey` FOREIGN KEY (`uploaderId`) REFERENCES `users`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `messages` ADD CONSTRAINT `messages_attachmentId_fkey` FOREIGN KEY (`attachmentId`) REFERENCES `uploads`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
