// Reads the rows a PartiQL write statement touches, for the test proxies and logs that follow the writer's
// requests (the statements themselves are lib/store/batch-writes.ts): the value bound to an attribute is
// the parameter at the position of its `?`, in `INSERT … VALUE {'name': ?}` or `… "name" = ?`.

type Attr = { S?: string; N?: string; B?: string; BOOL?: boolean };
export interface PartiqlStatement {
  Statement: string;
  Parameters?: Attr[];
}

/** The parameter bound to attribute `name` in `statement`, if it is bound to one. */
export function boundValue(statement: PartiqlStatement, name: string): Attr | undefined {
  const text = statement.Statement;
  const at = new RegExp(`['"]${name}['"]\\s*[:=]\\s*\\?`).exec(text);
  if (!at) return undefined;
  const position = (text.slice(0, at.index + at[0].length).match(/\?/g) ?? []).length - 1;
  return statement.Parameters?.[position];
}

/** The row a statement writes: its partition key (`namespace`) and sort key (`key`). */
export function statementRow(statement: PartiqlStatement): { namespace: string; key: string } {
  return { namespace: boundValue(statement, 'namespace')?.S ?? '', key: boundValue(statement, 'key')?.S ?? '' };
}

/** The attributes an INSERT or UPDATE sets, by name (what the row holds after it, less anything it removes). */
export function statementItem(statement: PartiqlStatement): Record<string, Attr> {
  const item: Record<string, Attr> = {};
  for (const m of statement.Statement.matchAll(/['"]([A-Za-z]+)['"]\s*[:=]\s*\?/g)) {
    const value = boundValue(statement, m[1]!);
    if (value) item[m[1]!] = value;
  }
  return item;
}

/** The table a statement names: `INSERT INTO "t"`, `UPDATE "t"`, `DELETE FROM "t"`, `SELECT … FROM "t"`. */
export function statementTable(statement: PartiqlStatement): string {
  return /(?:INTO|UPDATE|FROM)\s+"([^"]+)"/i.exec(statement.Statement)?.[1] ?? '';
}

export interface StatementError {
  Code: string;
  Message: string;
}

/**
 * A BatchExecuteStatement with some statements held back: `forwarded` carries the rest (undefined when none
 * is left), and `merge` puts each held one's error back at its place in the answer's Responses.
 */
export function holdStatements(
  body: Record<string, unknown>,
  held: Map<number, StatementError>,
): { forwarded: Record<string, unknown> | undefined; merge: (answer: Record<string, unknown> | undefined) => Record<string, unknown> } {
  const statements = (body.Statements ?? []) as PartiqlStatement[];
  const kept = statements.filter((_, i) => !held.has(i));
  return {
    forwarded: kept.length > 0 ? { ...body, Statements: kept } : undefined,
    merge(answer) {
      const served = [...((answer?.Responses ?? []) as unknown[])];
      const responses = statements.map((st, i) => {
        const error = held.get(i);
        return error ? { Error: error, TableName: statementTable(st) } : served.shift();
      });
      return { ...(answer ?? {}), Responses: responses };
    },
  };
}
