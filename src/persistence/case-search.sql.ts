// SQL for the case search: a parameterised ILIKE with the pattern's wildcards escaped, so `%` and `_` typed by a user
// match themselves and nothing typed can change the statement.

/** Escapes LIKE's wildcards and its escape character; the statement names `\` as the escape. */
export const likeEscape = (value: string): string => value.replace(/[\\%_]/g, (char) => `\\${char}`);

/** A WHERE fragment for TypeORM's query builder over `cases` aliased `alias`, with its one named parameter. */
export function caseSearchWhere(alias: string, search: string): { sql: string; params: { search: string } } {
  const fields = [
    `${alias}.counterparty->>'address'`,
    `${alias}.counterparty->>'name'`,
    `${alias}.client_reference_id`,
    `${alias}.goal->>'objective'`,
  ];
  return {
    sql: `(${fields.map((field) => `${field} ILIKE :search ESCAPE '\\'`).join(' OR ')})`,
    params: { search: `%${likeEscape(search)}%` },
  };
}
