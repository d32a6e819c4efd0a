import { z } from 'zod';

/** The largest id: ids are signed 32-bit integers in the database (INT). */
export const ID_MAX = 2_147_483_647;

export const idSchema = z.number().int().positive().max(ID_MAX);

/** Path params arrive as strings; this accepts only canonical positive integers. */
export const idParamSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'must be a positive integer')
  .transform(Number)
  .pipe(idSchema);

export const isoDateSchema = z.iso.datetime();

/**
 * Query fields of a list paged by id (the console's lists, a group's bans): `cursor` is the last id
 * of the previous page, and the answer's `nextCursor` is null on the last page.
 */
export const idCursorPageQuery = {
  cursor: z.coerce.number().int().positive().max(ID_MAX).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
};
