// A MySQL/MariaDB database's tables, keys and indexes read from information_schema, written the same
// way whichever server printed them, so the drift check can compare them with schema.prisma.
import * as mariadb from 'mariadb';
import { parseDatabaseUrl } from '../../src/db/migrate.js';

export interface Column {
  type: string;
  nullable: boolean;
  /** Normalised default; undefined means "not compared" (dbgenerated, Json, Bytes). */
  default: string | null | undefined;
  autoIncrement: boolean;
}
export interface Index {
  name: string;
  kind: 'UNIQUE INDEX' | 'INDEX' | 'FULLTEXT INDEX';
  columns: string[];
}
export interface ForeignKey {
  /** Only known for the database: the DMMF does not carry @relation(map:), so names are not compared. */
  name?: string;
  columns: string[];
  target: string;
}
export interface Table {
  columns: Map<string, Column>;
  primaryKey: string[];
  indexes: Index[];
  foreignKeys: ForeignKey[];
}
export type Schema = Map<string, Table>;

export const renderIndexColumn = (name: string, length: number | null, desc: boolean) =>
  `${name}${length ? `(${length})` : ''}${desc ? ' DESC' : ''}`;
export const renderReference = (table: string, columns: string[], onDelete: string, onUpdate: string) =>
  `${table}(${columns.join(', ')}) ON DELETE ${onDelete} ON UPDATE ${onUpdate}`;

/** MariaDB and MySQL 8 print types differently: int(11) vs int, tinyint(4) vs tinyint, datetime(0) vs datetime. */
export function normaliseType(columnType: string): string {
  const enumType = /^enum\((.*)\)$/is.exec(columnType);
  if (enumType) return `enum(${enumType[1]})`; // values are case-sensitive
  return columnType
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/, /g, ',')
    .replace(/^(tinyint|smallint|mediumint|int|integer|bigint)\((\d+)\)/, (_, base: string, width: string) =>
      base === 'tinyint' && width === '1' ? 'tinyint(1)' : base === 'integer' ? 'int' : base,
    )
    .replace(/^(datetime|timestamp|time)\(0\)/, '$1');
}

/** MariaDB quotes string defaults and says NULL; MySQL does neither. Numbers compare by value. */
export function normaliseDefault(value: string | null): string | null {
  if (value === null || value === 'NULL') return null;
  if (/^current_timestamp(\(\d*\))?$/i.test(value)) return 'CURRENT_TIMESTAMP';
  if (/^'.*'$/s.test(value)) return value.slice(1, -1).replaceAll("''", "'");
  if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value)) return String(Number(value));
  return value;
}

/** The tables of the database at databaseUrl (other than Prisma's migration history), from information_schema. */
export async function readDatabaseSchema(databaseUrl: string): Promise<Schema> {
  const conn = await mariadb.createConnection({ ...parseDatabaseUrl(databaseUrl), bigIntAsNumber: true });
  try {
    const tables: Array<{ name: string }> = await conn.query(
      `SELECT TABLE_NAME AS name FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> '_prisma_migrations'`,
    );
    const columns: Array<
      Record<'tableName' | 'name' | 'type' | 'nullable' | 'extra', string> & { dflt: string | null }
    > = await conn.query(
      `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable,
                COLUMN_DEFAULT AS dflt, EXTRA AS extra
           FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    );
    const indexColumns: Array<{
      tableName: string;
      name: string;
      nonUnique: number;
      column: string;
      subPart: number | null;
      collation: string | null;
      indexType: string;
    }> = await conn.query(
      `SELECT TABLE_NAME AS tableName, INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS \`column\`,
              SUB_PART AS subPart, COLLATION AS collation, INDEX_TYPE AS indexType
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
        ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    );
    const fkColumns: Array<
      Record<'tableName' | 'name' | 'column' | 'refTable' | 'refColumn' | 'onDelete' | 'onUpdate', string>
    > = await conn.query(
      `SELECT k.TABLE_NAME AS tableName, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS \`column\`,
                k.REFERENCED_TABLE_NAME AS refTable, k.REFERENCED_COLUMN_NAME AS refColumn,
                r.DELETE_RULE AS onDelete, r.UPDATE_RULE AS onUpdate
           FROM information_schema.KEY_COLUMN_USAGE k
           JOIN information_schema.REFERENTIAL_CONSTRAINTS r
             ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME
            AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
          WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
          ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    );

    const schema: Schema = new Map(
      tables.map(({ name }) => [name, { columns: new Map(), primaryKey: [], indexes: [], foreignKeys: [] }]),
    );
    for (const c of columns) {
      schema.get(c.tableName)?.columns.set(c.name, {
        type: normaliseType(c.type),
        nullable: c.nullable === 'YES',
        default: normaliseDefault(c.dflt),
        autoIncrement: /auto_increment/i.test(c.extra),
      });
    }
    for (const c of indexColumns) {
      const table = schema.get(c.tableName);
      if (!table) continue;
      if (c.name === 'PRIMARY') {
        table.primaryKey.push(c.column);
        continue;
      }
      let index = table.indexes.find((i) => i.name === c.name);
      if (!index) {
        const kind = c.indexType === 'FULLTEXT' ? 'FULLTEXT INDEX' : c.nonUnique ? 'INDEX' : 'UNIQUE INDEX';
        index = { name: c.name, kind, columns: [] };
        table.indexes.push(index);
      }
      index.columns.push(renderIndexColumn(c.column, c.subPart, c.collation === 'D'));
    }
    const grouped = new Map<string, typeof fkColumns>();
    for (const c of fkColumns)
      grouped.set(`${c.tableName}.${c.name}`, [...(grouped.get(`${c.tableName}.${c.name}`) ?? []), c]);
    for (const group of grouped.values()) {
      const first = group[0]!;
      schema.get(first.tableName)?.foreignKeys.push({
        name: first.name,
        columns: group.map((c) => c.column),
        target: renderReference(
          first.refTable,
          group.map((c) => c.refColumn),
          first.onDelete,
          first.onUpdate,
        ),
      });
    }
    return schema;
  } finally {
    await conn.end();
  }
}
