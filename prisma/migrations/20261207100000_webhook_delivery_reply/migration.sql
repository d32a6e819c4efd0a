-- AlterTable
ALTER TABLE `bot_webhook_deliveries` ADD COLUMN `reply` TEXT NULL;
