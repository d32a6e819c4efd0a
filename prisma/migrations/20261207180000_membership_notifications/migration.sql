-- A member's own choice to silence a conversation's notifications (PUT /api/conversations/:id/
-- notifications), on every device; 9999-12-31 23:59:59.999 stands for "until turned back on".

-- AlterTable
ALTER TABLE `memberships` ADD COLUMN `notificationsMutedUntil` DATETIME(3) NULL;
