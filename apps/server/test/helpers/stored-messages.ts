// What the database really holds, read directly (not through the server under test, which may be
// down or cut off from the database at that moment).
import * as mariadb from 'mariadb';
import { parseDatabaseUrl } from '../../src/db/migrate.js';

export interface StoredMessage {
  id: number;
  conversationId: number;
  seq: number;
  changeSeq: number;
  senderId: number;
  clientMsgId: string;
  text: string;
}

/** Every message row, in (conversationId, seq) order. */
export async function readStoredMessages(databaseUrl: string): Promise<StoredMessage[]> {
  const connection = await mariadb.createConnection({
    ...parseDatabaseUrl(databaseUrl),
    bigIntAsNumber: true,
  });
  try {
    const rows: StoredMessage[] = await connection.query(
      `SELECT id, conversationId, seq, changeSeq, senderId, clientMsgId, text
         FROM messages ORDER BY conversationId, seq`,
    );
    return rows.map((row) => ({ ...row, id: Number(row.id), conversationId: Number(row.conversationId) }));
  } finally {
    await connection.end();
  }
}

/** The rows stored for one (sender, clientMsgId): exactly one when a send took effect once. */
export async function rowsFor(
  databaseUrl: string,
  senderId: number,
  clientMsgId: string,
): Promise<StoredMessage[]> {
  return (await readStoredMessages(databaseUrl)).filter(
    (row) => row.senderId === senderId && row.clientMsgId === clientMsgId,
  );
}
