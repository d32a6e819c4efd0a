-- AlterTable
ALTER TABLE `conversations` ADD COLUMN `lastChangeSeq` INTEGER NOT NULL DEFAULT 0;

-- Existing messages each count as one change, in seq order.
UPDATE `conversations` SET `lastChangeSeq` = `lastSeq`;

-- AlterTable
ALTER TABLE `memberships` ADD COLUMN `lastDeliveredSeq` INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE `messages` ADD COLUMN `changeSeq` INTEGER NULL,
    ADD COLUMN `editedAt` DATETIME(3) NULL,
    ADD COLUMN `deletedAt` DATETIME(3) NULL,
    ADD COLUMN `replyToId` INTEGER NULL;

UPDATE `messages` SET `changeSeq` = `seq`;

ALTER TABLE `messages` MODIFY `changeSeq` INTEGER NOT NULL;

-- CreateIndex
CREATE INDEX `messages_conversationId_changeSeq_idx` ON `messages`(`conversationId`, `changeSeq`);

-- CreateIndex
CREATE INDEX `messages_replyToId_idx` ON `messages`(`replyToId`);

-- CreateTable
CREATE TABLE `reactions` (
    `messageId` INTEGER NOT NULL,
    `userId` INTEGER NOT NULL,
    -- Binary: utf8mb4_unicode_ci weighs most emoji the same, which would make 👍 and 😂 one key.
    `emoji` VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `reactions_userId_idx`(`userId`),
    PRIMARY KEY (`messageId`, `userId`, `emoji`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `messages` ADD CONSTRAINT `messages_replyToId_fkey` FOREIGN KEY (`replyToId`) REFERENCES `messages`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `reactions` ADD CONSTRAINT `reactions_messageId_fkey` FOREIGN KEY (`messageId`) REFERENCES `messages`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `reactions` ADD CONSTRAINT `reactions_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `users`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
