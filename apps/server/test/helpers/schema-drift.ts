// Compares a database with the one `prisma migrate` would build from a Prisma schema on MySQL/MariaDB:
// the check `prisma migrate diff` would do, which needs the schema engine binary we cannot download.
import { getDMMF } from '@prisma/get-dmmf';
import {
  normaliseDefault,
  normaliseType,
  readDatabaseSchema,
  renderIndexColumn,
  renderReference,
  type Column,
  type ForeignKey,
  type Index,
  type Schema,
} from './database-schema.js';

type Document = Exclude<ReturnType<typeof getDMMF>, { type: 'wasm-error' | 'parse-json' }>;
type Datamodel = Document['datamodel'];
type Model = Datamodel['models'][number];
type Field = Model['fields'][number];

const MAX_IDENTIFIER_LENGTH = 64;
const REFERENTIAL_ACTIONS: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};
const SCALAR_TYPES: Record<string, string> = {
  String: 'varchar(191)',
  Boolean: 'tinyint(1)',
  Int: 'int',
  BigInt: 'bigint',
  Float: 'double',
  Decimal: 'decimal(65,30)',
  DateTime: 'datetime(3)',
  Json: 'json',
  Bytes: 'longblob',
};

function parseSchema(prismaSchema: string): Datamodel {
  const document = getDMMF({ datamodel: prismaSchema });
  if ('reason' in document) throw document.error;
  return document.datamodel;
}

/** The tables, columns, keys and indexes `prisma migrate` would create for this data model on MySQL. */
function expectedSchema(datamodel: Datamodel, problems: string[]): Schema {
  const models = new Map(datamodel.models.map((model) => [model.name, model]));
  const tableOf = (model: Model) => model.dbName ?? model.name;
  const columnOf = (model: Model, fieldName: string) => {
    const field = model.fields.find((f) => f.name === fieldName);
    return field?.dbName ?? fieldName;
  };
  const schema: Schema = new Map();

  for (const model of datamodel.models) {
    const table = tableOf(model);
    const columns = new Map<string, Column>();
    for (const field of model.fields) {
      if (field.kind === 'scalar' || field.kind === 'enum')
        columns.set(field.dbName ?? field.name, expectedColumn(field, datamodel));
    }
    const indexes: Index[] = [];
    let primaryKey: string[] = [];
    for (const index of datamodel.indexes.filter((i) => i.model === model.name)) {
      const names = index.fields.map((f) => columnOf(model, f.name));
      if (index.type === 'id') {
        primaryKey = names;
        continue;
      }
      const suffix = index.type === 'unique' ? '_key' : '_idx';
      indexes.push({
        name: index.dbName ?? defaultConstraintName(table, names, suffix),
        kind:
          index.type === 'unique' ? 'UNIQUE INDEX' : index.type === 'fulltext' ? 'FULLTEXT INDEX' : 'INDEX',
        columns: index.fields.map((f, i) =>
          renderIndexColumn(names[i]!, f.length ?? null, f.sortOrder === 'desc'),
        ),
      });
    }
    const foreignKeys: ForeignKey[] = [];
    for (const field of model.fields.filter((f) => f.kind === 'object')) {
      const target = models.get(field.type)!;
      if (field.relationFromFields?.length) {
        const names = field.relationFromFields.map((name) => columnOf(model, name));
        const onDelete = field.relationOnDelete ?? (field.isRequired ? 'Restrict' : 'SetNull');
        const onUpdate = field.relationOnUpdate ?? 'Cascade';
        foreignKeys.push({
          columns: names,
          target: renderReference(
            tableOf(target),
            (field.relationToFields ?? []).map((name) => columnOf(target, name)),
            REFERENTIAL_ACTIONS[onDelete] ?? onDelete,
            REFERENTIAL_ACTIONS[onUpdate] ?? onUpdate,
          ),
        });
      } else if (field.isList) {
        const back = target.fields.find((f) => f.relationName === field.relationName && f !== field);
        if (back?.isList && model.name <= target.name) {
          problems.push(
            `implicit many-to-many relation ${field.relationName} is not checked: model its join table explicitly`,
          );
        }
      }
    }
    schema.set(table, { columns, primaryKey, indexes, foreignKeys });
  }
  return schema;
}

function expectedColumn(field: Field, datamodel: Datamodel): Column {
  const enumValues = (name: string) =>
    datamodel.enums.find((e) => e.name === name)!.values.map((value) => value.dbName ?? value.name);
  let type: string;
  if (field.kind === 'enum') {
    type = `enum(${enumValues(field.type).map(quote).join(',')})`;
  } else if (field.nativeType) {
    const [name, args] = field.nativeType;
    const unsigned = name.startsWith('Unsigned');
    const base = (unsigned ? name.slice('Unsigned'.length) : name).toLowerCase();
    type = normaliseType(`${base}${args.length ? `(${args.join(',')})` : ''}${unsigned ? ' unsigned' : ''}`);
  } else {
    type = SCALAR_TYPES[field.type] ?? `unknown Prisma type ${field.type}`;
  }

  return { type, nullable: !field.isRequired, ...expectedDefault(field, datamodel) };
}

function expectedDefault(field: Field, datamodel: Datamodel): Pick<Column, 'default' | 'autoIncrement'> {
  const value = field.default;
  if (value === undefined) return { default: null, autoIncrement: false };
  if (typeof value === 'object' && 'name' in value) {
    if (value.name === 'autoincrement') return { default: null, autoIncrement: true };
    if (value.name === 'now') return { default: 'CURRENT_TIMESTAMP', autoIncrement: false };
    if (value.name === 'dbgenerated') return { default: undefined, autoIncrement: false };
    // uuid(), cuid(), nanoid() and ulid() are generated by Prisma Client, not by the database.
    return { default: null, autoIncrement: false };
  }
  if (typeof value === 'object' || field.type === 'Json' || field.type === 'Bytes') {
    return { default: undefined, autoIncrement: false };
  }
  if (field.kind === 'enum') {
    const values = datamodel.enums.find((e) => e.name === field.type)!.values;
    return { default: values.find((v) => v.name === value)?.dbName ?? String(value), autoIncrement: false };
  }
  if (typeof value === 'boolean') return { default: value ? '1' : '0', autoIncrement: false };
  return { default: normaliseDefault(String(value)), autoIncrement: false };
}

/** Prisma's default names: {table}_{columns}{suffix}, cut to MySQL's 64-byte identifier limit. */
function defaultConstraintName(table: string, columns: string[], suffix: string): string {
  const joined = Buffer.from(`${table}_${columns.join('_')}`);
  const limit = MAX_IDENTIFIER_LENGTH - suffix.length;
  let cut = Math.min(joined.length, limit);
  while (cut < joined.length && (joined[cut]! & 0xc0) === 0x80) cut -= 1; // stay on a UTF-8 boundary
  return `${joined.subarray(0, cut).toString()}${suffix}`;
}

// MariaDB implements JSON as LONGTEXT with a json_valid() check.
const sameType = (found: string, wanted: string) =>
  found === wanted || (wanted === 'json' && found === 'longtext');
const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;
function compareSchemas(expected: Schema, actual: Schema): string[] {
  const problems: string[] = [];
  const describeIndex = (i: Index) => `${i.kind} ${i.name} (${i.columns.join(', ')})`;
  const describeColumn = (c: Column) =>
    `${c.type} ${c.nullable ? 'NULL' : 'NOT NULL'}${c.default === undefined ? '' : ` DEFAULT ${c.default ?? 'none'}`}${c.autoIncrement ? ' AUTO_INCREMENT' : ''}`;

  for (const [tableName, want] of expected) {
    const have = actual.get(tableName);
    if (!have) {
      problems.push(`${tableName}: table is missing`);
      continue;
    }
    for (const [columnName, column] of want.columns) {
      const found = have.columns.get(columnName);
      const differs =
        !found ||
        !sameType(found.type, column.type) ||
        found.nullable !== column.nullable ||
        found.autoIncrement !== column.autoIncrement ||
        (column.default !== undefined && found.default !== column.default);
      if (!found)
        problems.push(
          `${tableName}.${columnName}: column is missing (schema.prisma: ${describeColumn(column)})`,
        );
      else if (differs) {
        const shown = { ...found, default: column.default === undefined ? undefined : found.default };
        problems.push(
          `${tableName}.${columnName}: database has ${describeColumn(shown)}, schema.prisma expects ${describeColumn(column)}`,
        );
      }
    }
    for (const columnName of have.columns.keys()) {
      if (!want.columns.has(columnName))
        problems.push(`${tableName}.${columnName}: column is not in schema.prisma`);
    }
    if (want.primaryKey.join() !== have.primaryKey.join()) {
      problems.push(
        `${tableName}: primary key is (${have.primaryKey.join(', ')}), schema.prisma expects (${want.primaryKey.join(', ')})`,
      );
    }
    for (const index of want.indexes) {
      const found = have.indexes.find((i) => i.name === index.name);
      if (!found) problems.push(`${tableName}: ${describeIndex(index)} is missing`);
      else if (describeIndex(found) !== describeIndex(index)) {
        problems.push(
          `${tableName}: database has ${describeIndex(found)}, schema.prisma expects ${describeIndex(index)}`,
        );
      }
    }
    const fkNames = new Set(have.foreignKeys.map((fk) => fk.name));
    for (const index of have.indexes) {
      // MySQL adds an index named after a foreign key when no other index covers its columns.
      const implicit = index.kind === 'INDEX' && fkNames.has(index.name);
      if (!implicit && !want.indexes.some((i) => i.name === index.name)) {
        problems.push(`${tableName}: ${describeIndex(index)} is not in schema.prisma`);
      }
    }
    const unmatched = [...have.foreignKeys];
    for (const fk of want.foreignKeys) {
      const at = unmatched.findIndex((candidate) => candidate.columns.join() === fk.columns.join());
      const found = at === -1 ? undefined : unmatched.splice(at, 1)[0]!;
      if (!found)
        problems.push(`${tableName}: foreign key (${fk.columns.join(', ')}) -> ${fk.target} is missing`);
      else if (found.target !== fk.target) {
        problems.push(
          `${tableName}: foreign key (${fk.columns.join(', ')}) -> ${found.target}, schema.prisma expects -> ${fk.target}`,
        );
      }
    }
    for (const fk of unmatched) {
      problems.push(
        `${tableName}: foreign key ${fk.name ?? ''} (${fk.columns.join(', ')}) -> ${fk.target} is not in schema.prisma`,
      );
    }
  }
  for (const tableName of actual.keys()) {
    if (!expected.has(tableName)) problems.push(`${tableName}: table is not in schema.prisma`);
  }
  return problems;
}

/** Every way the database at databaseUrl differs from what prismaSchema describes, one line each. */
export async function schemaDrift(prismaSchema: string, databaseUrl: string): Promise<string[]> {
  const problems: string[] = [];
  const expected = expectedSchema(parseSchema(prismaSchema), problems);
  return [...problems, ...compareSchemas(expected, await readDatabaseSchema(databaseUrl))];
}
