// Proves the hand-written migrations build the database schema.prisma describes.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import { schemaDrift } from '../helpers/schema-drift.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

async function databaseMigratedWith(sql: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-drift-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, '20000101000000_fixture'));
  await writeFile(path.join(dir, '20000101000000_fixture', 'migration.sql'), sql);
  const database = await createTestDatabase({ migrationsDir: dir });
  cleanups.push(database.drop);
  return database.url;
}

describe('schema drift', () => {
  test('prisma/migrations build exactly the database prisma/schema.prisma describes', async () => {
    const database = await createTestDatabase();
    cleanups.push(database.drop);
    const prismaSchema = await readFile(new URL('../../../../prisma/schema.prisma', import.meta.url), 'utf8');

    const problems = await schemaDrift(prismaSchema, database.url);

    expect(problems, `migrations and schema.prisma disagree:\n${problems.join('\n')}`).toEqual([]);
  });

  test('a migration that matches a schema using every column feature shows no drift', async () => {
    const url = await databaseMigratedWith(FIXTURE_SQL);
    expect(await schemaDrift(FIXTURE_SCHEMA, url)).toEqual([]);
  });

  test('every kind of disagreement is reported, all at once', async () => {
    const wrong = [
      ['`handle` VARCHAR(40) NOT NULL', '`handle` VARCHAR(41) NOT NULL'],
      ['`note` TEXT NULL', '`note` TEXT NOT NULL'],
      ["ENUM('RED', 'blue')", "ENUM('red', 'blue')"],
      ['`active` BOOLEAN NOT NULL DEFAULT true', '`active` BOOLEAN NOT NULL DEFAULT false'],
      ['`owner_id` INTEGER NOT NULL AUTO_INCREMENT', '`owner_id` INTEGER NOT NULL'],
      ['    `code` CHAR(8) NOT NULL,\n', '    `legacy` INTEGER NULL,\n'],
      ['    INDEX `owner_label_ratio`(`label`(10), `ratio` DESC),\n', ''],
      ['PRIMARY KEY (`ownerId`, `position`)', 'PRIMARY KEY (`position`, `ownerId`)'],
      ['UNIQUE INDEX `Item_reviewerId_position_key`', 'UNIQUE INDEX `Item_reviewer_uq`'],
      ['ON DELETE SET NULL', 'ON DELETE CASCADE'],
      [
        'ALTER TABLE `Item` ADD CONSTRAINT `Item_ownerId_fkey`',
        '-- ALTER TABLE `Item` ADD CONSTRAINT `Item_ownerId_fkey`',
      ],
    ].reduce((sql, [from, to]) => {
      if (!sql.includes(from!)) throw new Error(`fixture no longer contains ${from}`);
      return sql.replace(from!, to!);
    }, `${FIXTURE_SQL}\nCREATE TABLE \`stray\` (\`id\` INTEGER NOT NULL PRIMARY KEY);\n`);
    const url = await databaseMigratedWith(wrong);

    expect(await schemaDrift(FIXTURE_SCHEMA, url)).toEqual([
      'owners.owner_id: database has int NOT NULL DEFAULT none, schema.prisma expects int NOT NULL DEFAULT none AUTO_INCREMENT',
      'owners.handle: database has varchar(41) NOT NULL DEFAULT none, schema.prisma expects varchar(40) NOT NULL DEFAULT none',
      'owners.active: database has tinyint(1) NOT NULL DEFAULT 0, schema.prisma expects tinyint(1) NOT NULL DEFAULT 1',
      "owners.color: database has enum('red','blue') NOT NULL DEFAULT red, schema.prisma expects enum('RED','blue') NOT NULL DEFAULT RED",
      'owners.note: database has text NOT NULL DEFAULT none, schema.prisma expects text NULL DEFAULT none',
      'owners.code: column is missing (schema.prisma: char(8) NOT NULL DEFAULT none)',
      'owners.legacy: column is not in schema.prisma',
      'owners: INDEX owner_label_ratio (label(10), ratio DESC) is missing',
      'Item: primary key is (position, ownerId), schema.prisma expects (ownerId, position)',
      'Item: UNIQUE INDEX Item_reviewerId_position_key (reviewerId, position) is missing',
      'Item: UNIQUE INDEX Item_reviewer_uq (reviewerId, position) is not in schema.prisma',
      'Item: foreign key (ownerId) -> owners(owner_id) ON DELETE RESTRICT ON UPDATE RESTRICT is missing',
      'Item: foreign key (reviewerId) -> owners(owner_id) ON DELETE CASCADE ON UPDATE CASCADE, schema.prisma expects -> owners(owner_id) ON DELETE SET NULL ON UPDATE CASCADE',
      'stray: table is not in schema.prisma',
    ]);
  });
});

// A data model touching each type mapping, @map/@@map, named and default constraint names,
// prefix and descending index columns, composite keys and default referential actions.
const FIXTURE_SCHEMA = `
datasource db {
  provider = "mysql"
}

enum Color {
  red  @map("RED")
  blue
}

model Owner {
  id        Int      @id @default(autoincrement()) @map("owner_id")
  handle    String   @unique(map: "owner_handle_uq") @db.VarChar(40)
  label     String
  active    Boolean  @default(true)
  big       BigInt?
  ratio     Float
  price     Decimal  @default(1.5)
  payload   Json?
  blob      Bytes?
  color     Color    @default(red)
  note      String?  @db.Text
  code      String   @db.Char(8)
  createdAt DateTime @default(now())
  token     String   @default(uuid()) @db.Char(36)
  owned     Item[]   @relation("owned")
  reviewed  Item[]   @relation("reviewed")

  @@index([label(length: 10), ratio(sort: Desc)], map: "owner_label_ratio")
  @@map("owners")
}

model Item {
  ownerId    Int
  position   Int    @db.UnsignedInt
  reviewerId Int?
  owner      Owner  @relation("owned", fields: [ownerId], references: [id], onUpdate: Restrict)
  reviewer   Owner? @relation("reviewed", fields: [reviewerId], references: [id])

  @@id([ownerId, position])
  @@unique([reviewerId, position])
}
`;

const FIXTURE_SQL = `-- CreateTable
CREATE TABLE \`owners\` (
    \`owner_id\` INTEGER NOT NULL AUTO_INCREMENT,
    \`handle\` VARCHAR(40) NOT NULL,
    \`label\` VARCHAR(191) NOT NULL,
    \`active\` BOOLEAN NOT NULL DEFAULT true,
    \`big\` BIGINT NULL,
    \`ratio\` DOUBLE NOT NULL,
    \`price\` DECIMAL(65, 30) NOT NULL DEFAULT 1.5,
    \`payload\` JSON NULL,
    \`blob\` LONGBLOB NULL,
    \`color\` ENUM('RED', 'blue') NOT NULL DEFAULT 'RED',
    \`note\` TEXT NULL,
    \`code\` CHAR(8) NOT NULL,
    \`createdAt\` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    \`token\` CHAR(36) NOT NULL,

    UNIQUE INDEX \`owner_handle_uq\`(\`handle\`),
    INDEX \`owner_label_ratio\`(\`label\`(10), \`ratio\` DESC),
    PRIMARY KEY (\`owner_id\`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE \`Item\` (
    \`ownerId\` INTEGER NOT NULL,
    \`position\` INTEGER UNSIGNED NOT NULL,
    \`reviewerId\` INTEGER NULL,

    UNIQUE INDEX \`Item_reviewerId_position_key\`(\`reviewerId\`, \`position\`),
    PRIMARY KEY (\`ownerId\`, \`position\`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE \`Item\` ADD CONSTRAINT \`Item_ownerId_fkey\` FOREIGN KEY (\`ownerId\`) REFERENCES \`owners\`(\`owner_id\`) ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE \`Item\` ADD CONSTRAINT \`Item_reviewerId_fkey\` FOREIGN KEY (\`reviewerId\`) REFERENCES \`owners\`(\`owner_id\`) ON DELETE SET NULL ON UPDATE CASCADE;
`;
