-- Full-text search of messages (features/search). Needs MariaDB's Mroonga storage engine (Debian:
-- mariadb-plugin-mroonga, then INSTALL SONAME 'ha_mroonga'); the migration runner checks for it
-- before it runs this, and says how to install it. Its FULLTEXT index splits text into bigrams
-- (TokenBigram), which finds words in scripts written without spaces, and folds case and width
-- (NormalizerAuto).

-- CreateTable
CREATE TABLE `message_search` (
    `messageId` INTEGER NOT NULL,
    `conversationId` INTEGER NOT NULL,
    `changeSeq` INTEGER NOT NULL,
    `text` TEXT NOT NULL,

    FULLTEXT INDEX `message_search_text_idx`(`text`) COMMENT 'tokenizer "TokenBigram", normalizer "NormalizerAuto"',
    PRIMARY KEY (`messageId`)
) ENGINE=Mroonga DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `message_search_positions` (
    `conversationId` INTEGER NOT NULL,
    `indexedChangeSeq` INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY (`conversationId`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
