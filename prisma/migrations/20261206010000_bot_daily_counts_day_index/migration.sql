-- CreateIndex
CREATE INDEX `bot_daily_counts_day_metric_idx` ON `bot_daily_counts`(`day`, `metric`);
